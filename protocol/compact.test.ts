import { describe, expect, it } from 'vitest';
import { parseHostDelta } from './changes.ts';
import { compactPayload, containerHostname, expandPayload } from './compact.ts';
import type { ContainerModel } from './model.ts';

const container: ContainerModel = {
  id: 'ctr-1',
  applicationId: 'ap-7',
  processType: 'web',
  number: 2,
  hostId: 'host-3',
  hostMeshIp: '100.64.0.3',
  ip: '10.240.0.12',
  mac: '02:00:0a:f0:00:0c',
  state: 'RUNNING',
  hostname: '2.web.ap-7.pn-9.private-network.internal',
};

describe('compact host deltas', () => {
  it('leaves out a container’s hostname and MAC, and nothing else', () => {
    expect(compactPayload({ container })).toEqual({
      container: {
        id: 'ctr-1',
        applicationId: 'ap-7',
        processType: 'web',
        number: 2,
        hostId: 'host-3',
        hostMeshIp: '100.64.0.3',
        ip: '10.240.0.12',
        state: 'RUNNING',
      },
    });
    expect(compactPayload({ containerId: 'ctr-1', hostId: 'host-3' })).toEqual({ containerId: 'ctr-1', hostId: 'host-3' });
  });

  it('derives them again from the container and the row’s network', () => {
    expect(expandPayload(compactPayload({ container }), 'pn-9')).toEqual({ container });
    expect(containerHostname(container, 'pn-9')).toBe(container.hostname);
  });

  it('keeps a full payload as it is, and leaves a broken one for the catalogue to refuse', () => {
    expect(expandPayload({ container }, 'pn-other')).toEqual({ container });
    const broken = expandPayload({ container: { ...(compactPayload({ container }).container as object), ip: 'nope' } }, 'pn-9');
    const parsed = parseHostDelta({ revision: 5, kind: 'container.running', networkId: 'pn-9', payload: broken });
    expect(parsed.ok).toBe(false);
  });
});
