"""Child of the race tests: wait at the barrier, then exec the real hook command.

usage: python3 -S barrier_exec.py BARRIER READY_FD PAYLOAD_FILE COMMAND

The parent holds an exclusive flock on BARRIER. Each child says it is ready (one byte on the
shared READY_FD pipe), then blocks on a shared flock of BARRIER: when the parent unlocks, every
child wakes at once and execs ``sh -c COMMAND`` with the payload on stdin, so hundreds of hook
processes really collide on the session lock.
"""

import fcntl
import os
import sys

barrier, ready_fd, payload_file, command = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
fd = os.open(barrier, os.O_RDONLY)
os.write(ready_fd, b"r")
os.close(ready_fd)
fcntl.flock(fd, fcntl.LOCK_SH)
os.close(fd)
stdin = os.open(payload_file, os.O_RDONLY)
os.dup2(stdin, 0)
os.close(stdin)
os.execv("/bin/sh", ["sh", "-c", command])
