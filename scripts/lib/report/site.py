"""Writing the report's folder so that nobody ever opens a half-built one.

The site is built in a new directory beside the target (``.<name>.new-<random>``), then put in
place by two renames: the old one aside, the new one in (between them there is no site at all,
never a partial one). The old site is then deleted. A crash while building leaves the old site
as it was plus a ``.new-`` directory, swept by the next run.

A folder is replaced only when it is a report (it holds `MARKER`, written last) or empty:
``--out ~/`` must never delete anything of the user's.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import time

from ..core.errors import HelperError

MARKER = ".handoff-report"
STALE_S = 600  # a ``.new-``/``.old-`` directory this old is left over from a crashed run


def check_target(out: str) -> None:
    """HelperError unless ``out`` may be replaced: absent, an empty folder, or a report."""
    try:
        st = os.lstat(out)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise HelperError("%s: %s" % (out, exc.strerror or exc)) from None
    import stat

    if not stat.S_ISDIR(st.st_mode):
        raise HelperError("%s: exists and is not a folder (a link or a file); not replaced" % out)
    if os.listdir(out) and not os.path.isfile(os.path.join(out, MARKER)):
        raise HelperError("%s: exists and is not a handoff report (no %s in it); not replaced" % (out, MARKER))


class SiteWriter:
    """Files of one build, in its temp folder; `largest` is (bytes, relative path) of the biggest."""

    def __init__(self, out: str):
        self.out = out
        self.parent, self.name = os.path.split(out)
        try:
            os.makedirs(self.parent, exist_ok=True)
            self._sweep()
            self.tmp = tempfile.mkdtemp(prefix=".%s.new-" % self.name, dir=self.parent)
            os.chmod(self.tmp, 0o755)
        except OSError as exc:
            raise HelperError("%s: %s" % (self.parent, exc.strerror or exc)) from None
        self._dirs = {""}
        self.files = 0
        self.largest = (0, "")

    def write(self, rel: str, text: str) -> None:
        data = text.encode("utf-8", "surrogateescape")
        directory = os.path.dirname(rel)
        if directory not in self._dirs:
            os.makedirs(os.path.join(self.tmp, directory), exist_ok=True)
            self._dirs.add(directory)
        with open(os.path.join(self.tmp, rel), "wb") as f:
            f.write(data)
        self.files += 1
        if len(data) > self.largest[0]:
            self.largest = (len(data), rel)

    def copy(self, src: str, rel: str) -> None:
        with open(src, encoding="utf-8") as f:
            self.write(rel, f.read())

    def discard(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def commit(self) -> None:
        """Mark the build complete and put it in place of ``out`` (see the module docstring)."""
        self.write(MARKER, "A report written by `scripts/handoff report`; the whole folder is replaced by the next.\n")
        check_target(self.out)  # again: it may have changed while we built
        for _ in range(3):  # another report run may swap in between: try again
            if os.path.isdir(self.out):
                old = tempfile.mkdtemp(prefix=".%s.old-" % self.name, dir=self.parent)
                try:
                    os.rename(self.out, os.path.join(old, "site"))
                except FileNotFoundError:
                    pass
            else:
                old = None
            try:
                os.rename(self.tmp, self.out)
            except OSError as exc:
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
                continue
            finally:
                if old is not None:
                    shutil.rmtree(old, ignore_errors=True)
            return
        raise HelperError("%s: another report kept replacing it; try again" % self.out)

    def _sweep(self) -> None:
        now = time.time()
        for entry in os.listdir(self.parent):
            if entry.startswith((".%s.new-" % self.name, ".%s.old-" % self.name)):
                path = os.path.join(self.parent, entry)
                try:
                    if now - os.lstat(path).st_mtime > STALE_S:
                        shutil.rmtree(path, ignore_errors=True)
                except OSError:
                    pass
