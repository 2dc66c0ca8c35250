import { describe, expect, it } from 'vitest';
import { parseVSphereEndpoint } from './vsphere-endpoint.js';

describe('vsphere:// endpoints', () => {
  it('defaults to port 443 and /sdk', () => {
    expect(parseVSphereEndpoint('vsphere://administrator%40vsphere.local@vc.example.com')).toMatchObject({
      host: 'vc.example.com',
      port: 443,
      path: '/sdk',
      username: 'administrator@vsphere.local',
      url: 'https://vc.example.com:443',
    });
  });

  it('keeps an explicit port and path', () => {
    expect(parseVSphereEndpoint('vsphere://u@10.0.0.5:8443/custom/sdk')).toMatchObject({
      port: 8443,
      path: '/custom/sdk',
    });
  });

  it.each([
    ['vsphere://u:secret@vc', /no password in the endpoint/],
    ['vsphere://vc', /needs a user/],
    ['https://u@vc', /expected a vsphere:\/\//],
    ['not a url', /not an endpoint URL/],
  ])('refuses %s', (input, message) => {
    expect(() => parseVSphereEndpoint(input)).toThrow(message);
  });

  it('shows the endpoint without the password it refused', () => {
    expect(() => parseVSphereEndpoint('vsphere://u:hunter2@vc')).toThrow(
      expect.objectContaining({ code: 'bad-input', message: expect.not.stringContaining('hunter2') }),
    );
  });
});
