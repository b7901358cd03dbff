# A WASI host in its own process under Wasmtime (PyPI's wasmtime, whose wheel carries the engine):
# runs dist/isoplace.wasi.wasm for each JSON line on stdin ({ id, args, stdin, env }) and answers
# a JSON line ({ id, code, stdout, stderr }) — the protocol of tests/wasi/host.mjs. stdin, stdout
# and stderr are real files, as a runtime gives a command.
import json
import os
import shutil
import sys
import tempfile

from wasmtime import Engine, ExitTrap, Linker, Module, Store, WasiConfig

engine = Engine()
module = Module.from_file(engine, sys.argv[1])
linker = Linker(engine)
linker.define_wasi()


def run(call):
    d = tempfile.mkdtemp(prefix="isoplace-wasmtime-")
    try:
        paths = [os.path.join(d, f) for f in ("stdin", "stdout", "stderr")]
        with open(paths[0], "w", encoding="utf-8") as f:
            f.write(call.get("stdin", ""))
        config = WasiConfig()
        config.argv = ["isoplace.wasi.wasm", *call["args"]]
        config.env = list(call.get("env", {}).items())
        config.stdin_file, config.stdout_file, config.stderr_file = paths
        store = Store(engine)
        store.set_wasi(config)
        instance = linker.instantiate(store, module)
        code = 0
        try:
            instance.exports(store)["_start"](store)
        except ExitTrap as e:
            code = e.code
        del store, instance
        read = lambda p: open(p, encoding="utf-8").read()
        return {"code": code, "stdout": read(paths[1]), "stderr": read(paths[2])}
    finally:
        shutil.rmtree(d, ignore_errors=True)


for line in sys.stdin:
    call = json.loads(line)
    try:
        answer = {"id": call["id"], **run(call)}
    except Exception as e:  # a trap or a host error: the test that sent the call fails naming it
        answer = {"id": call["id"], "error": repr(e)}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
