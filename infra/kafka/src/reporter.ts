/** Where progress lines go; the CLI prints them, tests can pass a no-op or collect them. */
export type Reporter = (message: string) => void;

export const consoleReporter: Reporter = (message) => {
  console.log(`[kafka] ${message}`);
};

export const silentReporter: Reporter = () => {};

/** For commands whose stdout is data (tool output), so progress does not end up in a pipe. */
export const stderrReporter: Reporter = (message) => {
  console.error(`[kafka] ${message}`);
};
