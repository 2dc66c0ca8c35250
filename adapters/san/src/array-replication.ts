import { DrkitError, UnsupportedError, type OperationOptions } from '@drkit/core';
import type { ArrayDriver, ArrayFacts, ReplicationLink, ReplicationTarget } from './array-driver.js';
import { readArrayView } from './array-view.js';

/**
 * The array's own replication of its groups (SnapMirror, Pure async replication), beside
 * drkit's disk replication: the array moves the data; drkit reads the state, starts
 * updates and drives failover and resync where the array supports it.
 */
export class ArrayReplication {
  readonly #driver: ArrayDriver;
  readonly #facts: () => ArrayFacts;

  constructor(driver: ArrayDriver, facts: () => ArrayFacts) {
    this.#driver = driver;
    this.#facts = facts;
  }

  /** Every link this array takes part in, with its state and health as the array reports them. */
  async links(options: OperationOptions = {}): Promise<ReplicationLink[]> {
    this.#licensed();
    return this.#driver.replicationLinks(options);
  }

  /** Replicates a group (its id on the array, a SAN machine's `nativeId`) to a target; returns the new link. */
  async create(groupId: string, target: ReplicationTarget, options: OperationOptions = {}): Promise<ReplicationLink> {
    this.#licensed();
    const view = await readArrayView(this.#driver, options.signal);
    const found = view.groupById(groupId);
    if (!found) throw new DrkitError('not-found', `no group ${groupId} on this array`);
    const before = new Set((await this.#driver.replicationLinks(options)).map((l) => l.id));
    const containers = view.containers.filter((c) => found.group.containerIds.includes(c.id));
    await this.#driver.createReplication(found.group, containers, target, options);
    const created = (await this.#driver.replicationLinks(options)).find(
      (l) => !before.has(l.id) && l.groupId === groupId,
    );
    if (!created)
      throw new DrkitError(
        'platform',
        `the array accepted replication of ${found.group.name} to ${target.name} but lists no such link`,
      );
    return created;
  }

  async update(linkId: string, options: OperationOptions = {}): Promise<void> {
    await this.#driver.updateReplication(await this.#link(linkId, options), options);
  }

  async failover(linkId: string, options: OperationOptions = {}): Promise<void> {
    await this.#driver.failover(await this.#link(linkId, options), options);
  }

  async resync(linkId: string, options: OperationOptions = {}): Promise<void> {
    const link = await this.#link(linkId, options);
    if (link.state !== 'broken-off')
      throw new DrkitError(
        'invalid-state',
        `link ${link.source} → ${link.target} is ${link.rawState}, not broken off: nothing to resync`,
      );
    await this.#driver.resync(link, options);
  }

  #licensed(): void {
    if (!this.#facts().features.replication)
      throw new UnsupportedError(
        'native.replication',
        'array replication is not licensed or not connected on this array',
      );
  }

  async #link(linkId: string, options: OperationOptions): Promise<ReplicationLink> {
    const link = (await this.links(options)).find((l) => l.id === linkId);
    if (!link) throw new DrkitError('not-found', `no replication link ${linkId} on this array`);
    return link;
  }
}
