// Plain JavaScript on purpose: it must run on any Node (including the machine's Node 20)
// to explain the problem, instead of failing on TypeScript syntax with an obscure error.
const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);
if (major !== REQUIRED_MAJOR) {
  console.error(
    `This project runs on Node.js ${REQUIRED_MAJOR} LTS, but this is Node.js ${process.versions.node} (${process.execPath}).\n` +
      `Run it through npm ("npm start", "npm test", "npm run <script>"): npm puts the Node ${REQUIRED_MAJOR} binary from ` +
      `the "node" devDependency (node_modules/.bin/node) first on PATH. Run "npm install" first if it is missing.`,
  );
  process.exit(1);
}
