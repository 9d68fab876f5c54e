// Runs pyodide_compile.py inside Pyodide, under Node.js, on the archives of a job.
//   node pyodide_bytecode.mjs <Pyodide's folder> <work folder> <job as JSON>
// The work folder is mounted at /work in Pyodide: the job's paths are under it.
// Prints the number of modules compiled per target, as JSON.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [pyodideFolder, workFolder, job] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(join(pyodideFolder, 'pyodide.mjs')).href);
const pyodide = await loadPyodide({
  indexURL: pyodideFolder + '/',
  stdout: (text) => console.error(text),
});
pyodide.mountNodeFS('/work', workFolder);
const namespace = pyodide.toPy({ __name__: 'pyodide_compile' });
pyodide.runPython(readFileSync(new URL('./pyodide_compile.py', import.meta.url), 'utf8'),
  { globals: namespace });
const done = namespace.get('run')(pyodide.toPy(JSON.parse(job)));
console.log(JSON.stringify(done.toJs({ dict_converter: Object.fromEntries })));
