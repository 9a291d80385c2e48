import { useState } from 'preact/hooks';
import { type Product, STREAM_PATHS, type StockSnapshot } from '../../contracts.ts';
import { act, money, useStream } from '../api.ts';
import { Empty, Loading, PartView, StreamBanner } from '../common.tsx';

export function StockPage() {
  const stream = useStream<StockSnapshot>(STREAM_PATHS.stock);
  const [editing, setEditing] = useState<string | undefined>();
  return (
    <section>
      <h1>Stock</h1>
      <StreamBanner stream={stream} />
      {stream.state === 'loading' || stream.data === undefined ? (
        <Loading what="products" />
      ) : (
        <PartView part={stream.data.products} what="Stock">
          {(products) =>
            products.length === 0 ? (
              <Empty>No products yet.</Empty>
            ) : (
              <table data-testid="products">
                <thead>
                  <tr>
                    <th>SKU</th>
                    <th>Name</th>
                    <th class="num">Price</th>
                    <th class="num">Available</th>
                    <th class="num">Reserved</th>
                    <th class="num">Sold</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {products.map((product) =>
                    editing === product.sku ? (
                      <EditRow key={product.sku} product={product} done={() => setEditing(undefined)} />
                    ) : (
                      <tr key={product.sku} data-sku={product.sku}>
                        <td class="mono">{product.sku}</td>
                        <td>{product.name}</td>
                        <td class="num">{money(product.unitPrice)}</td>
                        <td class="num" data-field="available">
                          {product.available}
                        </td>
                        <td class="num">{product.reserved}</td>
                        <td class="num">{product.sold}</td>
                        <td>
                          <button type="button" onClick={() => setEditing(product.sku)}>
                            Edit
                          </button>
                        </td>
                      </tr>
                    ),
                  )}
                </tbody>
              </table>
            )
          }
        </PartView>
      )}
    </section>
  );
}

type Field = 'name' | 'available' | 'price';
type FieldErrors = Partial<Record<Field | 'form', string>>;

/** The service's validation details name fields by JSON pointer; each is shown beside its input. */
function fieldOf(path: string): Field | 'form' {
  if (path.startsWith('/available')) return 'available';
  if (path.startsWith('/name')) return 'name';
  if (path.startsWith('/unitPrice')) return 'price';
  return 'form';
}

function EditRow({ product, done }: { product: Product; done: () => void }) {
  const [name, setName] = useState(product.name);
  const [available, setAvailable] = useState(String(product.available));
  const [price, setPrice] = useState((product.unitPrice.amountMinor / 100).toFixed(2));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const save = async (event: Event) => {
    event.preventDefault();
    const local: FieldErrors = {};
    if (!/^-?[0-9]+$/.test(available.trim())) local.available = 'A whole number of units';
    if (!/^-?[0-9]+(\.[0-9]{1,2})?$/.test(price.trim())) local.price = 'A price like 19.99';
    if (Object.keys(local).length > 0) return setErrors(local);
    setSaving(true);
    const answer = await act<Product>('PUT', `/api/inventory/${encodeURIComponent(product.sku)}`, {
      name,
      available: Number(available.trim()),
      unitPrice: { amountMinor: Math.round(Number(price.trim()) * 100), currency: product.unitPrice.currency },
    });
    setSaving(false);
    if (answer.ok) return done();
    const shown: FieldErrors = {};
    const details = Array.isArray(answer.error.details)
      ? (answer.error.details as { path?: string; message?: string }[])
      : [];
    for (const detail of details) shown[fieldOf(detail.path ?? '')] = detail.message ?? answer.error.message;
    if (details.length === 0) shown.form = `${answer.error.code}: ${answer.error.message}`;
    setErrors(shown);
  };
  return (
    <tr data-sku={product.sku} class="editing">
      <td class="mono">{product.sku}</td>
      <td colSpan={6}>
        <form onSubmit={save} class="edit-form">
          <Input label="Name" name="name" value={name} onInput={setName} error={errors.name} />
          <Input label="Available" name="available" value={available} onInput={setAvailable} error={errors.available} />
          <Input
            label={`Price (${product.unitPrice.currency})`}
            name="price"
            value={price}
            onInput={setPrice}
            error={errors.price}
          />
          <div class="edit-buttons">
            <button type="submit" disabled={saving}>
              {saving ? 'Saving…' : 'Save'}
            </button>
            <button type="button" onClick={done}>
              Cancel
            </button>
          </div>
          {errors.form === undefined ? null : (
            <p class="field-error" role="alert">
              {errors.form}
            </p>
          )}
        </form>
      </td>
    </tr>
  );
}

function Input(props: {
  label: string;
  name: string;
  value: string;
  onInput: (v: string) => void;
  error?: string | undefined;
}) {
  return (
    <label class={props.error === undefined ? '' : 'invalid'}>
      {props.label}
      <input
        name={props.name}
        value={props.value}
        aria-invalid={props.error !== undefined}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      {props.error === undefined ? null : (
        <span class="field-error" data-error-for={props.name}>
          {props.error}
        </span>
      )}
    </label>
  );
}
