"""A scripted stand-in for the Anthropic Messages API, plus a runner for the real CLI.

Stdlib only, so that ``probe_cli.py`` can use it without pytest.

Script format (a list of "turns", consumed one per *main* request, i.e. per request that
carries ``tools``)::

    turns = [
        {"tool": "Bash", "input": {"command": "echo hi", "description": "say hi"}},
        {"tool": "Write", "input": {...}, "text": "optional text before the call"},
        {"tools": [{"tool": "Read", "input": {...}}, {"tool": "Read", "input": {...}}]},
        {"text": "All done."},   # final text (end_turn)
        "Also final text.",      # a bare string is the same as {"text": ...}
        lambda body: {...},      # a callable gets the request body and returns a turn
    ]

Any turn dict may also carry ``"usage": {"input_tokens": .., "output_tokens": ..,
"cache_creation_input_tokens": .., "cache_read_input_tokens": .., "ephemeral_1h_input_tokens": ..}``
(missing counts vary per reply) and ``"model"``. Message ids and ``request-id`` headers are
unique per reply, as the real API's are.

Requests without ``tools`` are side queries (titles, summaries, ...): they get a short text
answer and do not consume a turn. Once a script is exhausted every further request gets the
final text ``"done"``. Every request is recorded in ``FakeAPI.requests`` (see ``Recorded``).

Subagents (the ``Agent`` tool) call the API too, and in the background by default, so their
requests interleave with the main thread's. Give them their own scripts, keyed by a needle::

    api.script(
        [{"tool": "Agent", "input": {"description": "d", "prompt": "SUB-1: do x",
                                     "subagent_type": "general-purpose"}},
         "main text after the launch", "main text after the task-notification"],
        subagents={"SUB-1": [{"tool": "Bash", "input": {"command": "echo x"}}, "sub answer"]},
    )

A request goes to a subagent script when the needle occurs in its *first* message (a subagent
conversation starts with the prompt it was given). The key ``"*"`` takes any other subagent
request (the CLI marks them with ``cc_is_subagent=true`` in the system prompt); a subagent
request that matches no script gets ``"done"``, never a main turn. Subagent requests are
recorded with ``kind="subagent"`` and ``route=<needle>``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

Turn = Any  # dict | str | Callable[[dict], dict | str]

DEFAULT_MODEL = "claude-sonnet-4-5"
SIDE_QUERY_TEXT = "ok"
EXHAUSTED_TEXT = "done"


@dataclass
class Recorded:
    """One HTTP request the fake API received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or the raw text if it was not JSON, or None
    kind: str  # "main" (main thread, has tools), "subagent", "side" (no tools), "other"
    turn_index: int | None = None  # index into its script, None if not a scripted turn
    route: str | None = None  # the subagent needle, for kind == "subagent"
    reply: dict[str, Any] = field(default_factory=dict)  # the message we answered with

    @property
    def text(self) -> str:
        """The whole body as one JSON string: handy for ``"needle" in req.text``."""
        return json.dumps(self.body, ensure_ascii=False)

    def last_message(self, role: str = "user") -> dict[str, Any] | None:
        """The last message with ``role`` (the CLI appends ``role: system`` entries after it)."""
        if not isinstance(self.body, dict):
            return None
        for msg in reversed(self.body.get("messages") or []):
            if msg.get("role") == role:
                return msg
        return None

    def tool_results(self) -> list[dict[str, Any]]:
        """The ``tool_result`` blocks of the last user message."""
        msg = self.last_message("user") or {}
        content = msg.get("content")
        if not isinstance(content, list):
            return []
        return [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]

    def tool_names(self) -> list[str]:
        if not isinstance(self.body, dict):
            return []
        return [t.get("name", "") for t in self.body.get("tools") or []]


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict):
                if block.get("type") == "text":
                    parts.append(block.get("text", ""))
                elif block.get("type") == "tool_result":
                    parts.append(_text_of(block.get("content")))
        return "\n".join(parts)
    return ""


def message_text(msg: Mapping[str, Any] | None) -> str:
    """Plain text of a message (text blocks and tool_result contents joined by newlines)."""
    return _text_of((msg or {}).get("content"))


class FakeAPI:
    """A threaded HTTP server on 127.0.0.1:<random port> that speaks enough of the Messages API."""

    def __init__(
        self,
        turns: Iterable[Turn] = (),
        subagents: Mapping[str, Iterable[Turn]] | None = None,
        model: str = DEFAULT_MODEL,
    ) -> None:
        self.model = model
        self._lock = threading.Lock()
        self._queues: dict[str | None, list[Turn]] = {}
        self._next: dict[str | None, int] = {}
        self.script(turns, subagents)
        self._ids = 0
        self._replies = 0
        self.requests: list[Recorded] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -------------------------------------------------------------------------
    def script(self, turns: Iterable[Turn], subagents: Mapping[str, Iterable[Turn]] | None = None) -> None:
        """Replace the scripts and restart them from their first turn (recorded requests are kept)."""
        with self._lock:
            self._queues = {None: list(turns)}
            for needle, sub_turns in (subagents or {}).items():
                self._queues[needle] = list(sub_turns)
            self._next = dict.fromkeys(self._queues, 0)

    def turns_left(self, route: str | None = None) -> int:
        """How many turns of the main script (or of subagent script ``route``) are unused."""
        with self._lock:
            return max(0, len(self._queues.get(route, [])) - self._next.get(route, 0))

    def main_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.kind == "main"]

    def subagent_requests(self, route: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if r.kind == "subagent" and (route is None or r.route == route)]

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "FakeAPI not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeAPI:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-anthropic-api", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- answering -------------------------------------------------------------------------
    def _new_id(self, prefix: str) -> str:
        with self._lock:
            self._ids += 1
            return f"{prefix}_fake{self._ids:04d}"

    def _route(self, body: dict[str, Any]) -> tuple[str, str | None]:
        messages = body.get("messages") or []
        first = json.dumps(messages[0], ensure_ascii=False) if messages else ""
        with self._lock:
            needles = [k for k in self._queues if k not in (None, "*")]
        for needle in needles:
            if needle in first:
                return "subagent", needle
        if is_subagent_request(body):
            return "subagent", "*"  # unscripted subagents just get "done"
        return "main", None

    def _take_turn(self, route: str | None) -> tuple[int | None, Turn]:
        with self._lock:
            queue = self._queues.get(route, [])
            idx = self._next.get(route, 0)
            if idx < len(queue):
                self._next[route] = idx + 1
                return idx, queue[idx]
        return None, EXHAUSTED_TEXT

    def _build_message(self, turn: Turn, body: dict[str, Any]) -> dict[str, Any]:
        if callable(turn):
            turn = turn(body)
        if isinstance(turn, str):
            turn = {"text": turn}
        if not isinstance(turn, dict):
            raise TypeError(f"bad turn: {turn!r}")
        content: list[dict[str, Any]] = []
        if turn.get("text"):
            content.append({"type": "text", "text": str(turn["text"])})
        calls: list[dict[str, Any]] = []
        if "tool" in turn:
            calls.append(turn)
        calls.extend(turn.get("tools") or [])
        for call in calls:
            content.append(
                {
                    "type": "tool_use",
                    "id": call.get("id") or self._new_id("toolu"),
                    "name": call["tool"],
                    "input": call.get("input") or {},
                }
            )
        if not content:
            content.append({"type": "text", "text": EXHAUSTED_TEXT})
        return {
            "id": "msg_" + uuid.uuid4().hex[:24],  # unique across runs, like the real API's
            "type": "message",
            "role": "assistant",
            "model": turn.get("model") or body.get("model") or self.model,
            "content": content,
            "stop_reason": "tool_use" if calls else "end_turn",
            "stop_sequence": None,
            "usage": self._usage(turn.get("usage")),
        }

    def _usage(self, given: Mapping[str, int] | None) -> dict[str, Any]:
        """The reply's usage: ``given`` (a turn's ``usage``), else a value that varies per reply.

        As the real API does, ``cache_creation_input_tokens`` is the sum of the
        ``cache_creation`` split (ephemeral 5m + 1h): ccusage counts the split when it is present,
        so an inconsistent split would make its counts differ from the CLI's for no real reason.
        A turn may give ``ephemeral_1h_input_tokens``; the rest of the cache creation is 5m.
        """
        with self._lock:
            self._replies += 1
            n = self._replies
        given = dict(given or {})
        usage = {
            "input_tokens": int(given.get("input_tokens", 10 + 7 * n)),
            "output_tokens": int(given.get("output_tokens", 5 + 3 * n)),
            "cache_creation_input_tokens": int(given.get("cache_creation_input_tokens", 100 * (n % 3))),
            "cache_read_input_tokens": int(given.get("cache_read_input_tokens", 1000 * (n % 4))),
        }
        one_hour = int(given.get("ephemeral_1h_input_tokens", 0))
        one_hour = min(one_hour, usage["cache_creation_input_tokens"])
        usage["cache_creation"] = {
            "ephemeral_5m_input_tokens": usage["cache_creation_input_tokens"] - one_hour,
            "ephemeral_1h_input_tokens": one_hour,
        }
        return usage

    def answer(self, body: dict[str, Any]) -> tuple[str, str | None, int | None, dict[str, Any]]:
        """Decide the reply for a /v1/messages body: (kind, route, turn_index, message)."""
        if not body.get("tools"):
            return "side", None, None, self._build_message({"text": SIDE_QUERY_TEXT}, body)
        kind, route = self._route(body)
        idx, turn = self._take_turn(route)
        return kind, route, idx, self._build_message(turn, body)


def is_subagent_request(body: Any) -> bool:
    """The CLI marks a subagent's requests in the billing header line of the system prompt."""
    if not isinstance(body, dict):
        return False
    return "cc_is_subagent=true" in json.dumps(body.get("system"))


def sse_events(message: dict[str, Any]) -> bytes:
    """Render a complete message as the Messages API's server-sent events."""
    out: list[str] = []

    def emit(event: str, data: dict[str, Any]) -> None:
        out.append(f"event: {event}\ndata: {json.dumps(data)}\n\n")

    start = dict(message, content=[], stop_reason=None)
    start["usage"] = dict(message["usage"], output_tokens=1)
    emit("message_start", {"type": "message_start", "message": start})
    for i, block in enumerate(message["content"]):
        if block["type"] == "text":
            emit(
                "content_block_start",
                {"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}},
            )
            emit(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": i,
                    "delta": {"type": "text_delta", "text": block["text"]},
                },
            )
        else:
            emit(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": i,
                    "content_block": {
                        "type": "tool_use",
                        "id": block["id"],
                        "name": block["name"],
                        "input": {},
                    },
                },
            )
            emit(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": i,
                    "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
                },
            )
        emit("content_block_stop", {"type": "content_block_stop", "index": i})
    emit(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": message["usage"]["output_tokens"]},
        },
    )
    emit("message_stop", {"type": "message_stop"})
    return "".join(out).encode()


def _make_handler(api: FakeAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "fake-anthropic/1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

        def _send(self, status: int, payload: bytes, ctype: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            # One id per response, as the real API sends: the CLI writes it as the
            # transcript line's requestId (ccusage's dedupe key with message.id).
            self.send_header("request-id", "req_" + uuid.uuid4().hex[:24])
            if ctype.startswith("text/event-stream"):
                self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _json(self, status: int, obj: Any) -> None:
            self._send(status, json.dumps(obj).encode())

        def _read_body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length > 0 else b""
            if not raw:
                return None
            try:
                return json.loads(raw)
            except ValueError:
                return raw.decode("utf-8", "replace")

        def _record(
            self,
            body: Any,
            kind: str,
            idx: int | None = None,
            reply: dict | None = None,
            route: str | None = None,
        ) -> None:
            rec = Recorded(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                kind=kind,
                turn_index=idx,
                route=route,
                reply=reply or {},
            )
            with api._lock:
                api.requests.append(rec)

        def _not_found(self, body: Any = None) -> None:
            self._record(body, "other")
            self._json(
                404,
                {"type": "error", "error": {"type": "not_found_error", "message": f"no route {self.path}"}},
            )

        def do_HEAD(self) -> None:  # noqa: N802
            self._record(None, "other")
            self._send(200, b"")

        def do_GET(self) -> None:  # noqa: N802
            path = urlsplit(self.path).path.rstrip("/")
            if path in ("", "/", "/health", "/v1"):
                self._record(None, "other")
                self._json(200, {"ok": True})
            elif path == "/v1/models":
                self._record(None, "other")
                self._json(
                    200,
                    {
                        "data": [{"type": "model", "id": api.model, "display_name": api.model}],
                        "has_more": False,
                    },
                )
            else:
                self._not_found()

        def do_POST(self) -> None:  # noqa: N802
            try:
                body = self._read_body()
            except Exception as exc:  # pragma: no cover - defensive
                self._json(
                    400, {"type": "error", "error": {"type": "invalid_request_error", "message": str(exc)}}
                )
                return
            path = urlsplit(self.path).path.rstrip("/")
            if path == "/v1/messages/count_tokens":
                self._record(body, "other")
                self._json(200, {"input_tokens": 100})
                return
            if path != "/v1/messages":
                self._not_found(body)
                return
            if not isinstance(body, dict):
                self._record(body, "other")
                self._json(
                    400,
                    {
                        "type": "error",
                        "error": {"type": "invalid_request_error", "message": "body must be a JSON object"},
                    },
                )
                return
            try:
                kind, route, idx, message = api.answer(body)
            except Exception as exc:
                self._record(body, "other")
                self._json(
                    500, {"type": "error", "error": {"type": "api_error", "message": f"fake api: {exc!r}"}}
                )
                return
            self._record(body, kind, idx, message, route)
            if body.get("stream"):
                self._send(200, sse_events(message), "text/event-stream; charset=utf-8")
            else:
                self._json(200, message)

        def do_PUT(self) -> None:  # noqa: N802
            self._not_found(self._read_body())

        do_DELETE = do_PUT  # noqa: N815
        do_PATCH = do_PUT  # noqa: N815

    return Handler


# -- running the real CLI --------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CLAUDE_BIN = REPO_ROOT / ".tools" / "claude" / "node_modules" / ".bin" / "claude"
DEFAULT_ALLOWED_TOOLS = "Bash Write Read Edit Glob Grep Agent"
_PERMISSION_FLAGS = (
    "--allowedTools",
    "--allowed-tools",
    "--permission-mode",
    "--dangerously-skip-permissions",
)
# Variables of an enclosing Claude Code / SDK session must not leak into the CLI under test.
_STRIP_PREFIXES = ("CLAUDE", "ANTHROPIC", "OTEL_")
_STRIP_NAMES = ("IS_SANDBOX", "DISABLE_AUTOUPDATER", "DISABLE_TELEMETRY", "MCP_TIMEOUT")


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parentheses
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(stat.parent.name))
    return kids


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid``, its process group and every descendant (the CLI runs Bash tools in new sessions)."""
    victims = [pid]
    try:
        kids = _children()
    except (OSError, ValueError):
        kids = {}
    i = 0
    while i < len(victims):
        victims.extend(kids.get(victims[i], []))
        i += 1
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    for victim in victims:
        try:
            os.kill(victim, signal.SIGKILL)
        except OSError:
            pass


def find_claude_bin() -> Path | None:
    env = os.environ.get("HANDOFF_CLAUDE_BIN")
    if env:
        p = Path(env)
        return p if p.is_file() and os.access(p, os.X_OK) else None
    return DEFAULT_CLAUDE_BIN if DEFAULT_CLAUDE_BIN.exists() else None


def cli_env(
    base_url: str, home: Path, tmpdir: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of the recipe: offline, dummy key, temp HOME and TMPDIR."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_STRIP_PREFIXES) and k not in _STRIP_NAMES}
    env.update(
        {
            "HOME": str(home),
            "ANTHROPIC_BASE_URL": base_url,
            "ANTHROPIC_API_KEY": "sk-ant-fake-e2e-key",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_ERROR_REPORTING": "1",
            "CLAUDE_CODE_TMPDIR": str(tmpdir),
        }
    )
    env.pop("XDG_CONFIG_HOME", None)
    if extra:
        env.update(extra)
    return env


def build_argv(claude_bin: Path | str, prompt: str, extra_args: Sequence[str] = ()) -> list[str]:
    argv = [str(claude_bin), "-p", prompt, "--output-format", "json"]
    if not any(a.split("=", 1)[0] in _PERMISSION_FLAGS for a in extra_args):
        argv += ["--allowedTools", DEFAULT_ALLOWED_TOOLS]
    argv += list(extra_args)
    return argv


@dataclass
class CliRun:
    argv: list[str]
    returncode: int | None  # None: killed on timeout
    stdout: str
    stderr: str
    result: Any  # parsed --output-format json, or None
    requests: list[Recorded]
    timed_out: bool


def run_cli(
    claude_bin: Path | str,
    api: FakeAPI,
    project_dir: Path | str,
    prompt: str,
    turns: Iterable[Turn],
    home: Path,
    tmpdir: Path,
    extra_args: Sequence[str] = (),
    env_extra: Mapping[str, str] | None = None,
    timeout: float = 60,
    subagents: Mapping[str, Iterable[Turn]] | None = None,
) -> CliRun:
    """Script ``api`` with ``turns``, run ``claude -p`` once in ``project_dir``, kill it on timeout."""
    home.mkdir(parents=True, exist_ok=True)
    tmpdir.mkdir(parents=True, exist_ok=True)
    api.script(turns, subagents)
    first = len(api.requests)
    argv = build_argv(claude_bin, prompt, extra_args)
    proc = subprocess.Popen(
        argv,
        cwd=str(project_dir),
        env=cli_env(api.url, home, tmpdir, env_extra),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # own process group: hooks and tools die with it
    )
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_tree(proc.pid)
        stdout, stderr = proc.communicate()
    result = None
    if stdout.strip():
        try:
            result = json.loads(stdout)
        except ValueError:
            # Tolerate noise before the JSON line.
            for line in reversed(stdout.strip().splitlines()):
                try:
                    result = json.loads(line)
                    break
                except ValueError:
                    continue
    return CliRun(
        argv=argv,
        returncode=None if timed_out else proc.returncode,
        stdout=stdout,
        stderr=stderr,
        result=result,
        requests=list(api.requests[first:]),
        timed_out=timed_out,
    )
