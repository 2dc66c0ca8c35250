import { DrkitError, type RecoveryRequest } from '@drkit/spec';

/**
 * Each NIC of the machine with the target network the request's map gives it, in order —
 * or a bad-input naming the first NIC whose network the map leaves out, before anything is made.
 */
export function mappedNetworks(
  request: Pick<RecoveryRequest, 'name' | 'description' | 'networkMap'>,
): Array<{ nic: string; network: string }> {
  return request.description.nics.map((nic) => {
    const source = nic.network ?? '(no network)';
    const network = request.networkMap[source];
    if (!network)
      throw new DrkitError(
        'bad-input',
        `${request.name}: NIC ${nic.name} is on ${source}, which the network map does not map`,
      );
    return { nic: nic.name, network };
  });
}
