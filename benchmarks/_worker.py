"""The child process of :func:`benchmarks._common.start_worker`.

    python -m benchmarks._worker MODULE FUNCTION JSON_KWARGS

imports ``MODULE``, calls ``FUNCTION(**kwargs)`` and prints its result as the last line of
standard output, in JSON.
"""

import importlib
import json
import sys


def main(argv):
    module, function, kwargs = argv
    result = getattr(importlib.import_module(module), function)(**json.loads(kwargs))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
