// Runs one scenario of src/sicourse/book/lite_kernel_start.js (the JupyterLite site's
// kernel-start plugin) against stand-ins for JupyterLite: its kernel factory, its service
// worker manager, the application, the clock.
//   node tests/js/lite_kernel_start.mjs <scenario>     (exit 0: the scenario held)
//   node tests/js/lite_kernel_start.mjs --list         (the scenarios' names, as JSON)
// tests/test_lite_kernel_start.py runs each one.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

const SOURCE = readFileSync(
  new URL('../../src/sicourse/book/lite_kernel_start.js', import.meta.url),
  'utf8',
);
const VERSION = '0.8.6';
const SCRIPT_URL = 'http://localhost/lite/service-worker.js?enableCache=false';
const SECOND = 1000;

// A failed promise, handled here: the plugin gets it only after a few awaits.
function failed(message) {
  const promise = Promise.reject(new Error(message));
  promise.catch(() => undefined);
  return promise;
}

function deferred() {
  let resolve, reject;
  const promise = new Promise((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

// Lets every promise callback that can run, run.
const settle = () => new Promise((done) => setImmediate(done));

class Clock {
  constructor() {
    this.now = 0;
    this.timers = [];
  }
  setTimeout = (callback, ms = 0) => {
    this.timers.push({ at: this.now + ms, callback });
    return this.timers.length;
  };
  async tick(ms) {
    this.now += ms;
    const due = this.timers.filter((timer) => timer.at <= this.now);
    this.timers = this.timers.filter((timer) => timer.at > this.now);
    due.forEach((timer) => timer.callback());
    await settle();
  }
}

class Kernel {
  constructor(options) {
    this._id = options.id;
    this._sendMessage = options.sendMessage;
    this.location = options.location;
    this.isDisposed = false;
  }
  dispose() {
    this.isDisposed = true;
  }
}

// The site as the plugin sees it: `path` is the page's ?path=, `ready` the service worker
// manager's promise (null: no manager), `makeKernel` what the Python factory builds.
async function site({
  path = null, ready, makeKernel = (o) => new Kernel(o), stored = {}, late = false,
} = {}) {
  const clock = new Clock();
  const logs = [];
  const storage = new Map(Object.entries(stored));
  const created = [];
  const started = deferred();
  const create = async (options) => {
    const kernel = makeKernel(options);
    created.push({ options, kernel });
    return kernel;
  };
  const factories = new Map([['other', async () => 'other kernel']]);
  if (!late) {
    factories.set('python', create);
  }
  const slots = new Set(); // kernelspecs.changed, a Lumino signal
  const changed = {
    connect: (slot) => slots.add(slot),
    disconnect: (slot) => slots.delete(slot),
    emit: () => [...slots].forEach((slot) => slot()),
  };
  // The kernel's own plugin registering it after this one was activated.
  const register = () => {
    factories.set('python', create);
    changed.emit();
  };
  const tokens = { specs: { name: 'IKernelSpecs' }, worker: { name: 'IServiceWorkerManager' } };
  const window = {
    _JUPYTERLAB: {},
    location: { search: path === null ? '' : `?path=${encodeURIComponent(path)}` },
  };
  const context = vm.createContext({
    window,
    navigator: {
      serviceWorker: {
        getRegistration: async () => ({ active: { scriptURL: SCRIPT_URL } }),
      },
    },
    localStorage: {
      getItem: (key) => (storage.has(key) ? storage.get(key) : null),
      setItem: (key, value) => storage.set(key, String(value)),
    },
    console: {
      info: (...args) => logs.push(args.join(' ')),
      warn: (...args) => logs.push(args.join(' ')),
    },
    setTimeout: clock.setTimeout,
    URLSearchParams,
    Date,
  });
  vm.runInContext(SOURCE, context);
  const module = (exports) => ({ '0.8.6': { loaded: 1, get: async () => () => exports } });
  const container = window._JUPYTERLAB['sicourse-kernel-start'];
  await container.init({
    '@jupyterlite/services': module({ IKernelSpecs: tokens.specs }),
    '@jupyterlite/apputils': module({ IServiceWorkerManager: tokens.worker }),
    '@jupyterlab/coreutils': module({
      PageConfig: { getOption: (name) => (name === 'appVersion' ? VERSION : '') },
    }),
  });
  const [plugin] = (await container.get('./extension'))().default;
  // (arrays of another realm: compared item by item)
  assert.deepEqual([...plugin.requires], [tokens.specs], 'not the shared IKernelSpecs');
  assert.deepEqual([...plugin.optional], [tokens.worker], 'not the shared IServiceWorkerManager');
  const manager = ready === null ? null : { ready: (ready || Promise.resolve()), enabled: true };
  plugin.activate({ started: started.promise }, { factories, changed }, manager);
  // What JupyterLite's kernel service does when a notebook needs a kernel.
  const ask = (location, id = `kernel-${created.length}`) =>
    factories.get('python')({ id, name: 'python', location, sendMessage: () => id });
  return { clock, logs, storage, created, started, factories, create, ask, register, slots };
}

const NOTEBOOK = 'assignments/05-impact-bonds/impact-bonds.ipynb';
const FOLDER = 'assignments/05-impact-bonds';

const scenarios = {
  async 'starts the kernel early and hands it over'() {
    const ready = deferred();
    const s = await site({ path: NOTEBOOK, ready: ready.promise });
    s.started.resolve();
    await settle();
    assert.equal(s.created.length, 0, 'started before the service worker was ready');
    ready.resolve();
    await settle();
    assert.equal(s.created.length, 1, 'not started once the page was ready');
    assert.equal(s.created[0].options.location, FOLDER);
    assert.equal(s.created[0].options.name, 'python');
    const kernel = await s.ask(FOLDER, 'the-id');
    assert.equal(kernel, s.created[0].kernel, 'a second kernel instead of the early one');
    assert.equal(s.created.length, 1);
    assert.equal(kernel._id, 'the-id');
    assert.equal(kernel._sendMessage(), 'the-id', 'messages would go to the old channel');
    assert.ok(s.logs.some((line) => line.includes(`the kernel of ${NOTEBOOK} was started`)));
  },

  async 'starts as soon as the kernel is registered, before the application has started'() {
    const s = await site({ path: NOTEBOOK, late: true });
    await settle();
    assert.equal(s.created.length, 0, 'started with no factory');
    s.register();
    await settle();
    assert.equal(s.created.length, 1, 'waited for the application to start');
    assert.equal(s.slots.size, 0, 'still listening to kernelspecs.changed');
    assert.equal(await s.ask(FOLDER), s.created[0].kernel);
  },

  async 'a kernel registered only after the application started is not started early'() {
    const s = await site({ path: NOTEBOOK, late: true });
    s.started.resolve();
    await settle();
    assert.equal(s.created.length, 0);
    s.register();
    await settle();
    assert.equal(s.created.length, 0, 'started by a late registration after giving up');
    assert.notEqual(await s.ask(FOLDER), undefined);
    assert.equal(s.created.length, 1);
  },

  async 'a notebook at the top of the site'() {
    const s = await site({ path: 'welcome.ipynb' });
    s.started.resolve();
    await settle();
    assert.equal(s.created[0].options.location, '');
    assert.equal(await s.ask(''), s.created[0].kernel);
  },

  async 'a kernel asked for first is the only one'() {
    const ready = deferred();
    const s = await site({ path: NOTEBOOK, ready: ready.promise });
    const asked = s.ask(FOLDER);
    ready.resolve();
    s.started.resolve();
    const kernel = await asked;
    await settle();
    assert.equal(s.created.length, 1, 'an early kernel was started after one was asked for');
    assert.equal(kernel, s.created[0].kernel);
    assert.equal(kernel.isDisposed, false);
  },

  async 'every kernel waits for the service worker'() {
    const ready = deferred();
    const s = await site({ ready: ready.promise }); // no notebook in the address
    const asked = s.ask('lessons');
    await settle();
    assert.equal(s.created.length, 0, 'made before its drive could be mounted');
    ready.resolve();
    await asked;
    assert.equal(s.created.length, 1);
  },

  async 'a service worker that never gets ready delays a kernel 15 s at most'() {
    const s = await site({ ready: new Promise(() => {}) });
    let kernel = null;
    s.ask('lessons').then((made) => (kernel = made));
    await s.clock.tick(14 * SECOND);
    assert.equal(kernel, null);
    await s.clock.tick(1 * SECOND);
    assert.ok(kernel instanceof Object, 'still waiting after 15 s');
  },

  async 'a service worker that fails, or no manager, does not hold a kernel up'() {
    const blocked = await site({ ready: failed('blocked') });
    await blocked.ask('lessons');
    assert.equal(blocked.created.length, 1);
    const none = await site({ ready: null });
    await none.ask('lessons');
    assert.equal(none.created.length, 1);
  },

  async 'another folder gets a kernel of its own; an early kernel nobody takes is shut down'() {
    const s = await site({ path: NOTEBOOK });
    s.started.resolve();
    await settle();
    const early = s.created[0].kernel;
    const other = await s.ask('lessons');
    assert.notEqual(other, early);
    assert.equal(other.location, 'lessons');
    assert.equal(early.isDisposed, false, 'shut down while its notebook may still come');
    await s.clock.tick(119 * SECOND);
    assert.equal(early.isDisposed, false);
    await s.clock.tick(1 * SECOND);
    assert.equal(early.isDisposed, true, 'left running with no notebook');
    const late = await s.ask(FOLDER);
    assert.notEqual(late, early, 'a shut-down kernel was handed over');
  },

  async 'a kernel that cannot take a new identity is replaced'() {
    const s = await site({
      path: NOTEBOOK,
      makeKernel: (options) => ({ location: options.location, isDisposed: false,
                                  dispose() { this.isDisposed = true; } }),
    });
    s.started.resolve();
    await settle();
    const early = s.created[0].kernel;
    const kernel = await s.ask(FOLDER);
    assert.notEqual(kernel, early);
    assert.equal(s.created.length, 2);
    assert.equal(early.isDisposed, true);
  },

  async 'an early start that fails leaves the notebook its own'() {
    let calls = 0;
    const s = await site({
      path: NOTEBOOK,
      makeKernel: (options) => {
        calls += 1;
        if (calls === 1) {
          throw new Error('no worker');
        }
        return new Kernel(options);
      },
    });
    s.started.resolve();
    await settle();
    const kernel = await s.ask(FOLDER);
    assert.equal(calls, 2);
    assert.equal(kernel._id, 'kernel-0');
    assert.ok(s.logs.some((line) => line.includes('could not start the kernel early')));
  },

  async 'no notebook in the address, no early kernel'() {
    for (const path of [null, 'lessons/data.csv']) {
      const s = await site({ path });
      s.started.resolve();
      await settle();
      await s.clock.tick(200 * SECOND);
      assert.equal(s.created.length, 0, `a kernel for ${path}`);
    }
  },

  async 'other kernels are left alone'() {
    const s = await site({ path: NOTEBOOK });
    assert.equal(await s.factories.get('other')({}), 'other kernel');
    assert.equal(s.factories.get('missing'), undefined);
  },

  async "notes the service worker's version once, as JupyterLite reads it"() {
    const s = await site({});
    await settle();
    assert.equal(s.storage.get(`${SCRIPT_URL}-version`), VERSION);
    const older = await site({ stored: { [`${SCRIPT_URL}-version`]: '0.7.0' } });
    await settle();
    assert.equal(older.storage.get(`${SCRIPT_URL}-version`), '0.7.0',
      'a noted version was overwritten: JupyterLite would miss an update');
    const blocked = await site({ ready: failed('blocked') });
    await settle();
    assert.equal(blocked.storage.size, 0);
  },
};

const [name] = process.argv.slice(2);
if (name === '--list') {
  console.log(JSON.stringify(Object.keys(scenarios)));
} else if (!(name in scenarios)) {
  console.error(`no scenario ${JSON.stringify(name)}`);
  process.exit(2);
} else {
  await scenarios[name]();
  console.log(`held: ${name}`);
}
