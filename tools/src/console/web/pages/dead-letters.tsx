import { useState } from 'preact/hooks';
import {
  type DeadLetterFilter,
  type DeadLetterRecord,
  type DeadLetterSnapshot,
  type ReplayHistory,
  type ReplayResult,
  STREAM_PATHS,
} from '../../contracts.ts';
import { act, useStream } from '../api.ts';
import { Badge, Empty, Loading, PartView, StreamBanner } from '../common.tsx';

const FIELDS = [
  { name: 'consumer', label: 'Consumer', placeholder: 'reserveStock' },
  { name: 'code', label: 'Error code', placeholder: 'CTR_NOT_JSON' },
  { name: 'since', label: 'Since', placeholder: '1h or 2026-05-01T12:00Z' },
  { name: 'orderId', label: 'Order id', placeholder: 'order UUID' },
] as const;
const DEFAULT_RATE = 10;

type Filter = Record<(typeof FIELDS)[number]['name'], string>;
const NO_FILTER: Filter = { consumer: '', code: '', since: '1h', orderId: '' };

function applied(filter: Filter): Record<string, string> {
  return Object.fromEntries(Object.entries(filter).filter(([, value]) => value.trim() !== ''));
}

export function DeadLettersPage() {
  const [draft, setDraft] = useState<Filter>(NO_FILTER);
  const [filter, setFilter] = useState<Filter>(NO_FILTER);
  const [selected, setSelected] = useState<string | undefined>();
  const stream = useStream<DeadLetterSnapshot>(STREAM_PATHS.deadLetters(applied(filter)));
  const records = stream.state !== 'loading' && stream.data?.list.ok ? stream.data.list.value.records : [];
  const record = records.find((r) => r.id === selected);
  return (
    <section>
      <h1>Dead letters</h1>
      <form
        class="edit-form"
        onSubmit={(event) => {
          event.preventDefault();
          setFilter(draft);
          setSelected(undefined);
        }}
      >
        {FIELDS.map((field) => (
          <label key={field.name}>
            {field.label}
            <input
              name={field.name}
              value={draft[field.name]}
              placeholder={field.placeholder}
              onInput={(e) => setDraft({ ...draft, [field.name]: e.currentTarget.value })}
            />
          </label>
        ))}
        <div class="edit-buttons">
          <button type="submit">Filter</button>
        </div>
      </form>
      <StreamBanner stream={stream} />
      {stream.state === 'loading' || stream.data === undefined ? (
        <Loading what="dead letters" />
      ) : (
        <PartView part={stream.data.list} what="Dead letters">
          {(list) =>
            list.records.length === 0 ? (
              <Empty>No dead letter matches.</Empty>
            ) : (
              <>
                <p class="meta">
                  {list.records.length === list.matchedTotal
                    ? `${list.matchedTotal} dead letter${list.matchedTotal === 1 ? '' : 's'}`
                    : `${list.records.length} of ${list.matchedTotal} shown`}
                </p>
                <table data-testid="dead-letters">
                  <thead>
                    <tr>
                      <th>Dead-lettered</th>
                      <th>Consumer</th>
                      <th>Code</th>
                      <th>Key</th>
                      <th class="num">Replays</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.records.map((r) => (
                      <tr
                        key={r.id}
                        data-id={r.id}
                        data-replays={r.replayCount}
                        class={r.id === selected ? 'selected' : ''}
                      >
                        <td>
                          <button type="button" class="link" onClick={() => setSelected(r.id)}>
                            {new Date(r.deadLetteredAt).toLocaleString('en-GB', { hour12: false })}
                          </button>
                        </td>
                        <td>{r.consumerId}</td>
                        <td>
                          <code>{r.errorCode ?? '—'}</code>
                        </td>
                        <td class="mono">{r.key ?? '—'}</td>
                        <td class="num">{r.replayCount}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <Replay
                  key={JSON.stringify(filter)}
                  label={`Replay the ${list.matchedTotal} matching…`}
                  filter={applied(filter)}
                />
              </>
            )
          }
        </PartView>
      )}
      {record === undefined ? null : <Detail key={record.id} record={record} />}
      <ReplayRuns />
    </section>
  );
}

/** The audit's latest replay runs (the console's and `npm run dlt`'s), newest first. */
function ReplayRuns() {
  const stream = useStream<ReplayHistory>(STREAM_PATHS.replayRuns);
  return (
    <>
      <h2>Past replays</h2>
      {stream.state === 'loading' || stream.data === undefined ? (
        <Loading what="the replay history" />
      ) : (
        <PartView part={stream.data.runs} what="The replay audit">
          {(runs) =>
            runs.length === 0 ? (
              <Empty>No replay recorded yet.</Empty>
            ) : (
              <table data-testid="replay-runs">
                <thead>
                  <tr>
                    <th>Started</th>
                    <th>By</th>
                    <th>Filter</th>
                    <th class="num">Rate /s</th>
                    <th class="num">Replayed</th>
                    <th class="num">Skipped</th>
                    <th class="num">Parked</th>
                    <th class="num">Failed</th>
                  </tr>
                </thead>
                <tbody>
                  {runs.map((run) => (
                    <tr key={run.runId} data-run={run.runId} title={`audit run ${run.runId} → ${run.target}`}>
                      <td>{new Date(run.startedAt).toLocaleString('en-GB', { hour12: false })}</td>
                      <td>{run.operator}</td>
                      <td class="mono">{run.filters}</td>
                      <td class="num">{run.ratePerSecond ?? '—'}</td>
                      {run.summary === null ? (
                        <td colSpan={4}>{run.finishedAt === null ? 'under way (or stopped unfinished)' : '—'}</td>
                      ) : (
                        <>
                          <td class="num" data-field="replayed">
                            {run.summary.replayed} of {run.summary.matched}
                          </td>
                          <td class="num">{run.summary.skipped}</td>
                          <td class="num">{run.summary.parked}</td>
                          <td class="num">{run.summary.failed}</td>
                        </>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </PartView>
      )}
    </>
  );
}

function Detail({ record }: { record: DeadLetterRecord }) {
  return (
    <article class="card" data-testid="dead-letter">
      <h2 class="mono">{record.id}</h2>
      <p>
        <Badge value={record.errorKind ?? 'unknown'} /> <code>{record.errorCode ?? '—'}</code> {record.errorMessage}
      </p>
      <p class="meta">
        {record.consumerGroup} · from {record.originalTopic ?? '?'} · {record.attempts} attempt
        {record.attempts === 1 ? '' : 's'} · replayed {record.replayCount} time{record.replayCount === 1 ? '' : 's'}
      </p>
      <h3>Headers</h3>
      <table>
        <tbody>
          {Object.entries(record.headers).map(([name, value]) => (
            <tr key={name}>
              <td class="mono">{name}</td>
              <td class="mono">{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Payload ({record.valueEncoding})</h3>
      <pre class="payload">{record.value}</pre>
      {record.eventId === null ? null : <Replay label="Replay this one…" filter={{ eventId: record.eventId }} />}
    </article>
  );
}

/** A replay: always a dry run first (what would be sent where), then confirmed with a rate. */
function Replay({ label, filter }: { label: string; filter: DeadLetterFilter }) {
  const [plan, setPlan] = useState<ReplayResult | undefined>();
  const [rate, setRate] = useState(String(DEFAULT_RATE));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const run = async (dryRun: boolean) => {
    const perSecond = Number(rate);
    if (!dryRun && !(perSecond > 0 && perSecond <= 10_000)) {
      setMessage({ ok: false, text: 'The rate is records per second, above 0 and at most 10000' });
      return;
    }
    setBusy(true);
    const answer = await act<ReplayResult>('POST', '/api/dead-letters/replay', {
      filter,
      dryRun,
      ...(dryRun ? {} : { rate: perSecond }),
    });
    setBusy(false);
    if (!answer.ok) {
      setMessage({ ok: false, text: `${answer.error.code}: ${answer.error.message}` });
      return;
    }
    if (dryRun) {
      setPlan(answer.body);
      setMessage(undefined);
      return;
    }
    setPlan(undefined);
    const result = answer.body;
    setMessage({
      ok: result.failed === 0,
      text: `Replayed ${result.replayed} of ${result.matched} (parked ${result.parked}, skipped ${result.skipped})${
        result.runId === undefined ? '' : `; audit run ${result.runId}`
      }${result.error === undefined ? '' : `; stopped: ${result.error}`}`,
    });
  };
  return (
    <div class="replay" data-testid="replay">
      {plan === undefined ? (
        <button type="button" disabled={busy} onClick={() => void run(true)}>
          {busy ? 'Planning…' : label}
        </button>
      ) : (
        <div class="confirm" role="alertdialog" aria-label="Confirm replay">
          <div>
            <strong>Dry run:</strong> nothing was sent. A replay would do this:
            <table data-testid="replay-plan">
              <tbody>
                {plan.decisions.map((decision) => (
                  <tr key={decision.record}>
                    <td>
                      <Badge value={decision.action} />
                    </td>
                    <td class="mono">{decision.record}</td>
                    <td class="mono">
                      {decision.target === undefined ? (decision.reason ?? '') : `→ ${decision.target}`}
                      {(decision.alsoDeliveredTo ?? []).length > 0
                        ? ` (also delivered to ${(decision.alsoDeliveredTo ?? []).join(', ')})`
                        : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <label>
            Rate (records/s)
            <input name="rate" value={rate} onInput={(e) => setRate(e.currentTarget.value)} />
          </label>
          <button
            type="button"
            class="danger"
            disabled={busy || plan.decisions.every((d) => d.action !== 'replay')}
            onClick={() => void run(false)}
          >
            {busy ? 'Replaying…' : 'Confirm replay'}
          </button>
          <button type="button" onClick={() => setPlan(undefined)}>
            Cancel
          </button>
        </div>
      )}
      {message === undefined ? null : (
        <p class={message.ok ? 'ok' : 'field-error'} role="status">
          {message.text}
        </p>
      )}
    </div>
  );
}
