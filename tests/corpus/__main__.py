"""``python tests/corpus DIR``: write every case of the corpus into DIR/<name>/."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus import load_cases  # noqa: E402

target = Path(sys.argv[1] if len(sys.argv) > 1 else "bad-inputs")
for case in load_cases():
    folder = target / case.name
    folder.mkdir(parents=True, exist_ok=True)
    try:
        argv = case.build(folder)
    except BaseException as exc:  # a case that needs pytest (skip) or another user
        print(f"{case.name:40s} not written here: {type(exc).__name__} {exc}")
        continue
    (folder / "COMMAND").write_text(
        f"cxresearch {' '.join(argv)}\n# {case.family}: {case.what}\n"
        f"# expect: {'error with ' + repr(case.errors) if case.errors else 'accepted'}\n"
    )
    print(f"{case.name:40s} {case.family}")
