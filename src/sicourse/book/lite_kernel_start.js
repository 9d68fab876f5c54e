// sicourse-kernel-start: a JupyterLab plugin of the course's JupyterLite site (lite/).
//
// 1. A notebook opened from the book (?path=folder/name.ipynb) gets its Python kernel
//    sooner: the kernel starts as soon as it can be made (its factory registered, the
//    service worker ready), while the interface is still being laid out, instead of once
//    the notebook is open.
//    It is handed over below JupyterLab's sessions: when JupyterLite's kernel service asks
//    the Python kernel factory for a kernel in that folder, the factory gives the kernel
//    it has already started, under the id and message channel the service chose. The
//    sessions never know, so they cannot race with it; no second kernel is ever started
//    for it. A kernel started early that no notebook takes is shut down.
// 2. A kernel gets the notebook's files (/drive) every time. Pyodide's kernel mounts the
//    drive only if JupyterLite's service worker is ready when the kernel is created, and
//    nothing waited for it: a notebook whose kernel started first could not open the files
//    beside it (a lesson's widgets, an assignment's data). The factory now waits for it.
// 3. JupyterLite 0.8 drops and registers again its service worker on any visit that finds
//    no version noted for it, and notes the version only on a visit that already had a
//    worker: so every second visit spent about 4 s registering again. The version is
//    noted as soon as the worker is registered.
//
// It needs no module of its own, so it is written by hand as the federated container
// JupyterLab loads (window._JUPYTERLAB[name], with init() and get()), and takes JupyterLite's
// tokens from the modules the application shares.
(function () {
  const NAME = 'sicourse-kernel-start';
  const KERNEL = 'python';
  const WAIT_FOR_DRIVE_MS = 15000; // the longest a kernel waits for the service worker
  const UNCLAIMED_MS = 120000; // a kernel started early and not taken by then is shut down

  let shareScope = null;

  async function shared(name) {
    const versions = Object.values((shareScope && shareScope[name]) || {});
    const found = versions.find((version) => version.loaded) || versions[0];
    if (!found) {
      throw new Error(`${NAME}: the application shares no module ${name}`);
    }
    return (await found.get())();
  }

  // As JupyterLab's PathExt.dirname: '' for a notebook at the top.
  function folderOf(path) {
    const relative = path.replace(/^\/+/, '');
    const cut = relative.lastIndexOf('/');
    return cut < 0 ? '' : relative.slice(0, cut);
  }

  function whenDriveCanMount(serviceWorker) {
    if (!serviceWorker || !navigator.serviceWorker) {
      return Promise.resolve();
    }
    return Promise.race([
      serviceWorker.ready.catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, WAIT_FOR_DRIVE_MS)),
    ]);
  }

  async function noteVersion(version) {
    const registration = await navigator.serviceWorker.getRegistration();
    const worker =
      registration && (registration.active || registration.waiting || registration.installing);
    if (worker && version) {
      const key = `${worker.scriptURL}-version`; // JupyterLite's own key
      if (localStorage.getItem(key) === null) {
        localStorage.setItem(key, version);
      }
    }
  }

  // The kernel takes the identity JupyterLite chose for the one it asked for.
  function adopt(kernel, options) {
    if (!kernel || kernel.isDisposed || !('_id' in kernel) || !('_sendMessage' in kernel)) {
      if (kernel && !kernel.isDisposed) {
        kernel.dispose();
      }
      return false;
    }
    kernel._id = options.id;
    kernel._sendMessage = options.sendMessage;
    return true;
  }

  // Settles once the Python kernel can be made: its factory registered (the kernel's own
  // plugin does it, often after this one), or the application started.
  function registered(kernelspecs, lookUp, app) {
    return new Promise((resolve) => {
      const check = () => {
        if (lookUp(KERNEL)) {
          kernelspecs.changed.disconnect(check);
          resolve();
        }
      };
      kernelspecs.changed.connect(check);
      check();
      app.started.then(resolve, resolve);
    });
  }

  function activate(app, kernelspecs, serviceWorker, pageConfig) {
    const driveCanMount = whenDriveCanMount(serviceWorker);
    if (serviceWorker && navigator.serviceWorker) {
      serviceWorker.ready
        .then(() => noteVersion(pageConfig.getOption('appVersion')))
        .catch(() => undefined);
    }
    const path = new URLSearchParams(window.location.search).get('path');
    const folder = path && path.endsWith('.ipynb') ? folderOf(path) : null;
    let early = null; // the kernel started early, until a notebook in its folder takes it
    let asked = false; // a kernel has been asked for: too late to start one early

    const factories = kernelspecs.factories;
    const lookUp = factories.get.bind(factories);
    factories.get = (name) => {
      const create = lookUp(name);
      if (name !== KERNEL || !create) {
        return create;
      }
      return async (options) => {
        asked = true;
        if (early && options.location === folder) {
          const ours = early;
          early = null;
          const kernel = await ours;
          if (adopt(kernel, options)) {
            console.info(`${NAME}: the kernel of ${path} was started while the page loaded`);
            return kernel;
          }
        }
        await driveCanMount;
        return create(options);
      };
    };

    if (folder === null) {
      return;
    }
    Promise.all([registered(kernelspecs, lookUp, app), driveCanMount])
      .then(() => {
        const create = lookUp(KERNEL);
        if (asked || !create) {
          return;
        }
        const ours = create({
          id: `${NAME}-${Date.now()}`,
          name: KERNEL,
          location: folder,
          sendMessage: () => undefined, // nobody listens until a notebook takes it
        }).catch((error) => {
          console.warn(`${NAME}: could not start the kernel early:`, error);
          return null;
        });
        early = ours;
        setTimeout(() => {
          if (early === ours) {
            early = null;
            ours.then((kernel) => kernel && kernel.dispose());
          }
        }, UNCLAIMED_MS);
      })
      .catch((error) => console.warn(`${NAME}: could not start the kernel early:`, error));
  }

  window._JUPYTERLAB = window._JUPYTERLAB || {};
  window._JUPYTERLAB[NAME] = {
    init: async (scope) => {
      shareScope = scope;
    },
    get: async (module) => {
      if (module !== './extension') {
        throw new Error(`${NAME} has no module ${module}`);
      }
      const { IKernelSpecs } = await shared('@jupyterlite/services');
      const { IServiceWorkerManager } = await shared('@jupyterlite/apputils');
      const { PageConfig } = await shared('@jupyterlab/coreutils');
      const plugin = {
        id: `${NAME}:plugin`,
        description:
          "Starts the Python kernel of the notebook in the address while the page loads, " +
          'and every kernel only once it can mount the notebook files.',
        autoStart: true,
        requires: [IKernelSpecs],
        optional: [IServiceWorkerManager],
        activate: (app, kernelspecs, serviceWorker) =>
          activate(app, kernelspecs, serviceWorker, PageConfig),
      };
      return () => ({ __esModule: true, default: [plugin] });
    },
  };
})();
