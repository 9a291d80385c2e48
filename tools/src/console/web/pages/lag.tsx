import { type GroupLagView, type LagSnapshot, STREAM_PATHS, type TopicsSnapshot } from '../../contracts.ts';
import { useStream } from '../api.ts';
import { Badge, Empty, Loading, PartView, StreamBanner } from '../common.tsx';

export function LagPage() {
  const stream = useStream<LagSnapshot>(STREAM_PATHS.lag);
  const topics = useStream<TopicsSnapshot>(STREAM_PATHS.topics);
  return (
    <section>
      <h1>Topics and lag</h1>
      <StreamBanner stream={stream} />
      <h2>Consumer groups</h2>
      {stream.state === 'loading' || stream.data === undefined ? (
        <Loading what="consumer lag" />
      ) : (
        <PartView part={stream.data.groups} what="Kafka">
          {(groups) =>
            groups.length === 0 ? (
              <Empty>No consumer groups in the catalog.</Empty>
            ) : (
              <div class="groups">
                {groups.map((group) => (
                  <Group key={group.group} group={group} />
                ))}
              </div>
            )
          }
        </PartView>
      )}
      <h2>Topic catalog and the cluster</h2>
      {topics.state === 'loading' || topics.data === undefined ? (
        <Loading what="the topics" />
      ) : (
        <Topics snapshot={topics.data} />
      )}
    </section>
  );
}

const DAY_MS = 86_400_000;

function Topics({ snapshot }: { snapshot: TopicsSnapshot }) {
  const { cluster } = snapshot;
  return (
    <>
      {cluster.ok ? (
        <p class="meta" data-testid="cluster">
          {cluster.value.brokerCount} broker{cluster.value.brokerCount === 1 ? '' : 's'};{' '}
          {Object.keys(cluster.value.drift).length === 0
            ? 'every topic matches the catalog'
            : `${Object.keys(cluster.value.drift).length} topic(s) differ from the catalog`}
          {cluster.value.warnings.map((warning) => (
            <span key={warning}>
              <br />
              {warning}
            </span>
          ))}
        </p>
      ) : (
        <PartView part={cluster} what="The cluster's topics">
          {() => null}
        </PartView>
      )}
      <table data-testid="topics">
        <thead>
          <tr>
            <th>Topic</th>
            <th>Owner</th>
            <th>Consumers</th>
            <th class="num">Partitions</th>
            <th class="num">Retention</th>
            <th>Cluster</th>
          </tr>
        </thead>
        <tbody>
          {snapshot.catalog.map((topic) => {
            const drift = cluster.ok ? (cluster.value.drift[topic.name] ?? []) : undefined;
            return (
              <tr key={topic.name} data-topic={topic.name}>
                <td>
                  <span class="mono">{topic.name}</span>
                  <details>
                    <summary>why</summary>
                    <p class="meta">{topic.rationale}</p>
                  </details>
                </td>
                <td>{topic.owner}</td>
                <td class="mono">{topic.consumers.length === 0 ? '— (read by tools)' : topic.consumers.join(', ')}</td>
                <td class="num">{topic.partitions}</td>
                <td class="num">{Math.round(topic.retentionMs / DAY_MS)} d</td>
                <td>
                  {drift === undefined ? (
                    '—'
                  ) : drift.length === 0 ? (
                    <Badge value="IN SYNC" />
                  ) : (
                    <>
                      <Badge value="DRIFT" /> {drift.join('; ')}
                    </>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

function Group({ group }: { group: GroupLagView }) {
  return (
    <article class="card" data-testid={`group-${group.group}`} data-status={group.status}>
      <h2>
        <Badge value={group.status} /> <span class="mono">{group.group}</span>
      </h2>
      <p class="meta">
        {group.state}, {group.members} member{group.members === 1 ? '' : 's'}, {group.totalLag} record
        {group.totalLag === 1 ? '' : 's'} behind
        {group.error === undefined ? '' : ` — ${group.error}`}
      </p>
      <Sparkline points={group.history.map((point) => point.lag)} />
      {group.partitions.length === 0 ? null : (
        <details>
          <summary>
            {group.partitions.length} partition{group.partitions.length === 1 ? '' : 's'}
          </summary>
          <table>
            <thead>
              <tr>
                <th>Topic / partition</th>
                <th class="num">Lag</th>
                <th class="num">Behind (time)</th>
              </tr>
            </thead>
            <tbody>
              {group.partitions.map((p) => (
                <tr key={`${p.topic}/${p.partition}`}>
                  <td class="mono">
                    {p.topic}/{p.partition}
                  </td>
                  <td class="num">{p.lag ?? '—'}</td>
                  <td class="num">{p.timeLagMs === null ? '—' : `${(p.timeLagMs / 1000).toFixed(1)} s`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </article>
  );
}

/** The total lag of the last readings, as a small line (the top is the window's highest lag). */
function Sparkline({ points }: { points: number[] }) {
  const width = 240;
  const height = 32;
  if (points.length < 2) return null;
  const top = Math.max(1, ...points);
  const step = width / (points.length - 1);
  const path = points.map(
    (value, index) => `${(index * step).toFixed(1)},${(height - (value / top) * height).toFixed(1)}`,
  );
  return (
    <svg
      class="sparkline"
      viewBox={`0 0 ${width} ${height}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={`lag history, highest ${top}`}
    >
      <polyline
        points={path.join(' ')}
        fill="none"
        stroke="currentColor"
        stroke-width="1.5"
        vector-effect="non-scaling-stroke"
      />
    </svg>
  );
}
