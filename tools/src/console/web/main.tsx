import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { DeadLettersPage } from './pages/dead-letters.tsx';
import { LagPage } from './pages/lag.tsx';
import { OrderPage, OrdersPage } from './pages/orders.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { StockPage } from './pages/stock.tsx';

const PAGES = [
  { path: '#/', label: 'Overview' },
  { path: '#/orders', label: 'Orders' },
  { path: '#/stock', label: 'Stock' },
  { path: '#/lag', label: 'Topics and lag' },
  { path: '#/dead-letters', label: 'Dead letters' },
] as const;

function useHash(): string {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const changed = () => setHash(location.hash || '#/');
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

function Page({ hash }: { hash: string }) {
  const order = /^#\/orders\/([^/?]+)$/.exec(hash);
  if (order?.[1] !== undefined) return <OrderPage orderId={decodeURIComponent(order[1])} />;
  if (hash.startsWith('#/orders')) return <OrdersPage query={hash.split('?')[1] ?? ''} />;
  if (hash === '#/stock') return <StockPage />;
  if (hash === '#/lag') return <LagPage />;
  if (hash === '#/dead-letters') return <DeadLettersPage />;
  if (hash === '#/' || hash === '#') return <OverviewPage />;
  return <p class="state empty">No page here. Pick one above.</p>;
}

function App() {
  const hash = useHash();
  const current = PAGES.slice()
    .reverse()
    .find((page) => (page.path === '#/' ? hash === '#/' : hash.startsWith(page.path)));
  return (
    <>
      <header>
        <span class="brand">Shop console</span>
        <nav>
          {PAGES.map((page) => (
            <a key={page.path} href={page.path} aria-current={current === page ? 'page' : undefined}>
              {page.label}
            </a>
          ))}
        </nav>
      </header>
      <main>
        <Page hash={hash} />
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
