/**
 * The live topology: hosts as compound nodes holding their containers, VXLAN peerings between hosts,
 * laid out by cytoscape-fcose, a force-directed layout that keeps compound nodes apart (cytoscape's
 * own `cose` stacks hosts on each other); it runs again only when nodes come or go, and a state change
 * only recolours its node. The table below holds the same containers for keyboard and screen readers.
 */
import cytoscape, { type Core } from 'cytoscape';
import fcose from 'cytoscape-fcose';
import { useEffect, useMemo, useRef } from 'preact/hooks';
import { buildTopology, topologyElements } from '../model/topology.ts';
import type { ViewProps } from './console.tsx';
import { Head } from './parts.tsx';

cytoscape.use(fcose);

const STYLE: cytoscape.StylesheetJson = [
  {
    selector: 'node',
    style: { label: 'data(label)', 'text-wrap': 'wrap', 'font-size': 12, 'font-family': 'system-ui, sans-serif', color: '#1f2933' },
  },
  {
    selector: 'node.host',
    style: {
      shape: 'round-rectangle',
      'background-color': '#eef2f7',
      'border-width': 2,
      'border-color': '#7b8794',
      'text-valign': 'top',
      'text-halign': 'center',
      'font-weight': 'bold',
      padding: '14px',
    },
  },
  { selector: 'node.host.healthy', style: { 'border-color': '#2f9e44' } },
  { selector: 'node.host.unhealthy', style: { 'border-color': '#e03131' } },
  { selector: 'node.host.down', style: { 'border-color': '#e03131', 'border-style': 'dashed', 'background-color': '#fff0f0' } },
  { selector: 'node.host.behind', style: { 'background-color': '#fff4e0' } },
  { selector: 'node.host.hidden', style: { 'border-style': 'dotted' } },
  {
    selector: 'node.container',
    style: { shape: 'round-rectangle', width: 132, height: 34, 'text-valign': 'center', 'text-halign': 'center', 'border-width': 1, 'border-color': '#52606d' },
  },
  { selector: 'node.container.running', style: { 'background-color': '#b2f2bb' } },
  { selector: 'node.container.pending', style: { 'background-color': '#e9ecef' } },
  { selector: 'node.container.draining', style: { 'background-color': '#ffd8a8' } },
  {
    selector: 'edge.peering',
    style: { width: 2, 'line-color': '#748ffc', 'line-style': 'dashed', label: 'data(label)', 'font-size': 9, color: '#364fc7', 'curve-style': 'bezier' },
  },
];

export function NetworkView({ state }: ViewProps) {
  const box = useRef<HTMLDivElement>(null);
  const cy = useRef<Core | null>(null);
  const appNames = useMemo(() => Object.fromEntries(state.project.applications.edges.map(({ node }) => [node.id, node.name])), [state.project]);
  const topology = useMemo(
    () => buildTopology({ containers: state.containers, appNames, members: state.project.network.convergence.hosts, hosts: state.hosts }),
    [state.containers, appNames, state.project, state.hosts],
  );
  const elements = useMemo(() => topologyElements(topology), [topology]);

  useEffect(() => {
    cy.current = cytoscape({ container: box.current, style: STYLE, minZoom: 0.3, maxZoom: 1.8, wheelSensitivity: 0.3 });
    return () => cy.current?.destroy();
  }, []);

  useEffect(() => {
    const graph = cy.current;
    if (!graph) return;
    const wanted = new Set(elements.map((e) => e.data.id as string));
    let changed = false;
    graph.batch(() => {
      const gone = graph.elements().filter((el) => !wanted.has(el.id()));
      if (gone.nonempty()) gone.remove(), (changed = true);
      for (const e of elements) {
        const existing = graph.getElementById(e.data.id as string);
        if (existing.nonempty() && (existing.isNode() ? existing.data('parent') === e.data.parent : true)) {
          existing.data(e.data);
          existing.classes(e.classes ?? '');
        } else {
          existing.remove();
          graph.add({ group: e.group, data: e.data as cytoscape.ElementDataDefinition, classes: e.classes });
          changed = true;
        }
      }
    });
    if (changed)
      graph
        .layout({
          name: 'fcose',
          animate: false,
          nodeDimensionsIncludeLabels: true,
          padding: 24,
          idealEdgeLength: 110,
          nodeRepulsion: 9000,
        } as cytoscape.LayoutOptions)
        .run();
    box.current?.setAttribute(
      'data-nodes',
      graph
        .nodes('.container')
        .map((n) => `${n.id()}:${n.classes().join(' ')}`)
        .join(' '),
    );
  }, [elements]);

  const empty = topology.containers.length === 0 && topology.hosts.length === 0;
  return (
    <section aria-labelledby="network-title">
      <h2 id="network-title">Network</h2>
      <p class="legend">
        <span class="chip running">RUNNING</span> <span class="chip pending">PENDING</span> <span class="chip draining">DRAINING</span> · hosts: green healthy,
        red unhealthy or down, orange fill behind · dashed lines: VXLAN peerings
      </p>
      {empty && <p class="empty">No container in this network yet: the scheduler creates them (createContainer), and they appear here as they do.</p>}
      <div ref={box} id="topology" class="graph" role="img" aria-label={`Topology: ${topology.hosts.length} hosts, ${topology.containers.length} containers`} />
      <table class="containers">
        <caption>Containers</caption>
        <Head cols={['app', 'type', 'number', 'IP', 'state', 'host']} />
        <tbody>
          {topology.containers.map((c) => (
            <tr key={c.id} data-container={c.id}>
              <td>{c.app}</td>
              <td>{c.processType}</td>
              <td>{c.number}</td>
              <td>
                <code>{c.ip}</code>
              </td>
              <td>
                <span class={`chip ${c.state.toLowerCase()}`}>{c.state}</span>
              </td>
              <td>{topology.hosts.find((h) => h.id === c.parent)?.name ?? 'hidden'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table class="hosts">
        <caption>Hosts</caption>
        <Head cols={['host', 'mesh IP', 'health', 'pending changes']} />
        <tbody>
          {topology.hosts.map((h) => (
            <tr key={h.id} class={h.pendingChanges !== 0 ? 'behind' : undefined}>
              <td>{h.name}</td>
              <td>{h.meshIp ?? 'admins only'}</td>
              <td>{h.health}</td>
              <td>{h.pendingChanges}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
