import { LAG_STATUSES, type OverviewSnapshot, STREAM_PATHS } from '../../contracts.ts';
import { useStream } from '../api.ts';
import { Badge, Loading, PartView, StreamBanner } from '../common.tsx';

export function OverviewPage() {
  const stream = useStream<OverviewSnapshot>(STREAM_PATHS.overview);
  return (
    <section>
      <h1>Overview</h1>
      <StreamBanner stream={stream} />
      {stream.state === 'loading' || stream.data === undefined ? (
        <Loading what="the overview" />
      ) : (
        <Overview snapshot={stream.data} />
      )}
    </section>
  );
}

function Overview({ snapshot }: { snapshot: OverviewSnapshot }) {
  const { rates } = snapshot;
  return (
    <>
      <div class="tiles" data-testid="rates">
        <Tile label="Placed / s" value={rates?.placed} />
        <Tile label="Confirmed / s" value={rates?.confirmed} />
        <Tile label="Cancelled / s" value={rates?.cancelled} />
        <Tile label="Pending / s" value={rates?.pending} />
        <Tile label="In flight" value={snapshot.inFlight} />
      </div>
      <h2>Services</h2>
      <table>
        <thead>
          <tr>
            <th>Service</th>
            <th>State</th>
            <th class="num">Outbox backlog</th>
          </tr>
        </thead>
        <tbody>
          {snapshot.services.map((service) => (
            <tr key={service.service} data-testid={`service-${service.service}`}>
              <td>{service.service}</td>
              <td>
                <Badge value={service.up ? 'UP' : 'DOWN'} /> {service.error}
              </td>
              <td class="num">{service.outboxBacklog ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Consumer groups by status</h2>
      <PartView part={snapshot.groups} what="Kafka">
        {(counts) =>
          Object.keys(counts).length === 0 ? (
            <Loading what="the first lag reading" />
          ) : (
            <div class="tiles" data-testid="group-statuses">
              {LAG_STATUSES.filter((status) => counts[status] !== undefined).map((status) => (
                <div class="tile" key={status}>
                  <Badge value={status} />
                  <span class="tile-value">{counts[status]}</span>
                </div>
              ))}
            </div>
          )
        }
      </PartView>
      <h2>Orders by saga state</h2>
      <PartView part={snapshot.sagas} what="Saga states">
        {(counts) => (
          <div class="tiles" data-testid="saga-states">
            {Object.entries(counts).map(([state, count]) => (
              <a class="tile" key={state} data-state={state} href={`#/orders?sagaState=${state}`}>
                <Badge value={state} />
                <span class="tile-value">{count}</span>
              </a>
            ))}
          </div>
        )}
      </PartView>
      <h2>Dead letters in the last hour</h2>
      {snapshot.deadLettersLastHour === undefined ? (
        <Loading what="the dead-letter count" />
      ) : (
        <PartView part={snapshot.deadLettersLastHour} what="Dead letters">
          {(counts) => {
            const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
            const failing = Object.entries(counts).filter(([, n]) => n > 0);
            return (
              <div data-testid="dead-letters-last-hour" data-total={total}>
                {failing.length === 0 ? (
                  <p class="state empty">None in the last hour.</p>
                ) : (
                  <table>
                    <thead>
                      <tr>
                        <th>Consumer</th>
                        <th class="num">Dead letters</th>
                      </tr>
                    </thead>
                    <tbody>
                      {failing.map(([consumer, n]) => (
                        <tr key={consumer} data-consumer={consumer}>
                          <td>
                            <a href="#/dead-letters">{consumer}</a>
                          </td>
                          <td class="num">{n}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </div>
            );
          }}
        </PartView>
      )}
      <p class="hint">
        Rates come from the Order Service's counters between two readings; saga states from its summary; dead letters by
        their record time, read from the dead-letter topics.
      </p>
    </>
  );
}

function Tile({ label, value }: { label: string; value: number | undefined }) {
  return (
    <div class="tile">
      <span class="tile-label">{label}</span>
      <span class="tile-value">{value === undefined ? '—' : value}</span>
    </div>
  );
}
