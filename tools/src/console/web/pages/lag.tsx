import { type GroupLagView, type LagSnapshot, STREAM_PATHS } from '../../contracts.ts';
import { useStream } from '../api.ts';
import { Badge, Empty, Loading, PartView, StreamBanner } from '../common.tsx';

export function LagPage() {
  const stream = useStream<LagSnapshot>(STREAM_PATHS.lag);
  return (
    <section>
      <h1>Topics and lag</h1>
      <StreamBanner stream={stream} />
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
    </section>
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
