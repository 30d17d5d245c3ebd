#!/usr/bin/env python3
"""tests/fakes/fake_llm: one HTTP server speaking both streaming LLM APIs hark
uses: OpenAI chat completions (POST /v1/chat/completions, /chat/completions)
and Anthropic Messages (POST /v1/messages), with the real services' SSE
framing byte for byte. It checks auth, headers and the request structure
strictly (tool messages must answer the preceding assistant's tool_calls,
Anthropic roles alternate, tool_result ids match tool_use ids): it is what
proves hark's requests right. Replies come from a JSON script; faults on
demand. Python stdlib only; shares no code with the clients it tests.

Options: --port N (0: a free port; prints `port N` once listening)
  --key K          require this key (Bearer / x-api-key); 401 otherwise
  --script FILE    {"rules":[{"when":"user"|"tool","contains":"..","text":"..",
                   "tool_calls":[{"name":..,"arguments":{..}}]}]}; text may
                   hold {{last}} and {{tool_result}} (see reply_for)
  --ttft-ms N      delay before the first event (200)
  --tokens-per-s N streaming rate of tokens and argument fragments (50)
  --fault KIND     stall|drop|hang|429|500|malformed|overloaded|slow
  --fault-count N  apply the fault to the first N requests only (default all)
  --log FILE       one JSON line per request: n, path, time, client_port (the
                   same for requests on one kept-alive connection), headers,
                   body, status, fault, first_event, last_event (epoch s)
"""
import argparse
import json
import random
import re
import select
import signal
import socket
import string
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OPTS = None
SCRIPT = {"rules": []}
STOP = threading.Event()
LOCK = threading.Lock()
COUNT = [0]
NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


class Invalid(Exception):
    def __init__(self, msg, param=None):
        super().__init__(msg)
        self.param = param


def rand_id(prefix, n=24):
    return prefix + "".join(random.choice(string.ascii_letters + string.digits) for _ in range(n))


def tokens(text):
    """Small pieces (a word or up to 4 characters) that join back to text."""
    out = re.findall(r"\s*\S{1,4}", text)
    rest = text[len("".join(out)):]
    if rest:
        out.append(rest)
    return out


def fragments(s, n=5):
    return [s[i:i + n] for i in range(0, len(s), n)] or [""]


def text_of(content):
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        sep = ""  # several tool results read as lines
        for b in content:
            if isinstance(b, dict) and isinstance(b.get("text"), str):
                parts.append(b["text"])
            elif isinstance(b, dict) and b.get("type") == "tool_result":
                parts.append(text_of(b.get("content")))
                sep = "\n"
        return sep.join(parts)
    return ""


def last_tool_result_openai(msgs):
    for m in reversed(msgs):
        if isinstance(m, dict) and m.get("role") == "tool":
            return text_of(m.get("content"))
    return None


def last_tool_result_anthropic(msgs):
    for m in reversed(msgs):
        c = m.get("content") if isinstance(m, dict) else None
        if isinstance(c, list):
            for b in reversed(c):
                if isinstance(b, dict) and b.get("type") == "tool_result":
                    return text_of(b.get("content"))
    return None


def reply_for(role, content, tool_result=None):
    """The script's answer to the last message: (text or None, tool_calls).
    In text, {{last}} is the last message's text and {{tool_result}} the
    newest tool result anywhere in the request's history (what a model
    remembers of earlier tool calls), or "(no tool result)"."""
    for r in SCRIPT.get("rules", []):
        if r.get("when", "user") != role:
            continue
        c = r.get("contains")
        if c and c.lower() not in content.lower():
            continue
        text = r.get("text")
        if text is not None:
            text = text.replace("{{last}}", content)
            text = text.replace("{{tool_result}}", tool_result if tool_result is not None else "(no tool result)")
        return text, r.get("tool_calls") or []
    return "I heard: " + content, []


# ---- request validation (what the real services refuse) -----------------

def need(cond, msg, param=None):
    if not cond:
        raise Invalid(msg, param)


def check_openai_content(c, where, allow_none=False):
    if c is None:
        need(allow_none, f"{where}.content: expected a string or an array, got null", where)
        return
    if isinstance(c, str):
        return
    need(isinstance(c, list) and c, f"{where}.content: expected a string or a non-empty array", where)
    for p in c:
        need(isinstance(p, dict) and p.get("type") in ("text", "image_url", "input_audio", "refusal"),
             f"{where}.content: invalid content part", where)
        if p["type"] == "text":
            need(isinstance(p.get("text"), str), f"{where}.content: text part without text", where)


def validate_openai(b):
    need(isinstance(b, dict), "We could not parse the JSON body of your request.")
    allowed = {"model", "messages", "stream", "stream_options", "tools", "tool_choice", "temperature",
               "max_tokens", "max_completion_tokens", "top_p", "stop", "n", "user", "seed",
               "parallel_tool_calls", "frequency_penalty", "presence_penalty", "response_format"}
    for k in b:
        need(k in allowed, f"Unrecognized request argument supplied: {k}", k)
    need(isinstance(b.get("model"), str) and b["model"], "you must provide a model parameter", "model")
    need(b.get("stream") is True, "this fake only serves streamed completions (stream: true)", "stream")
    so = b.get("stream_options")
    if so is not None:
        need(isinstance(so, dict) and set(so) <= {"include_usage"} and
             isinstance(so.get("include_usage", False), bool), "Invalid stream_options", "stream_options")
    t = b.get("temperature")
    if t is not None:
        need(isinstance(t, (int, float)) and not isinstance(t, bool) and 0 <= t <= 2,
             "temperature must be a number between 0 and 2", "temperature")
    for k in ("max_tokens", "max_completion_tokens"):
        if k in b:
            need(isinstance(b[k], int) and not isinstance(b[k], bool) and b[k] >= 1,
                 f"{k} must be an integer >= 1", k)
    tools = b.get("tools")
    names = set()
    if tools is not None:
        need(isinstance(tools, list) and tools, "[] is too short - 'tools'", "tools")
        for i, tl in enumerate(tools):
            w = f"tools[{i}]"
            need(isinstance(tl, dict) and tl.get("type") == "function" and set(tl) <= {"type", "function"},
                 f"{w}: expected {{type: function, function}}", w)
            fn = tl.get("function")
            need(isinstance(fn, dict) and set(fn) <= {"name", "description", "parameters", "strict"},
                 f"{w}.function: invalid", w)
            need(isinstance(fn.get("name"), str) and NAME_RE.match(fn["name"]),
                 f"{w}.function.name: must match ^[a-zA-Z0-9_-]{{1,64}}$", w)
            need(fn["name"] not in names, f"{w}.function.name: duplicate", w)
            names.add(fn["name"])
            need(isinstance(fn.get("description", ""), str), f"{w}.function.description: not a string", w)
            need(isinstance(fn.get("parameters", {}), dict), f"{w}.function.parameters: not an object", w)
    tc = b.get("tool_choice")
    if tc is not None:
        need(tools is not None, "Invalid value for 'tool_choice': 'tool_choice' is only allowed when "
             "'tools' are specified.", "tool_choice")
        need(tc in ("none", "auto", "required") or (isinstance(tc, dict) and tc.get("type") == "function"),
             "Invalid value for 'tool_choice'", "tool_choice")
    msgs = b.get("messages")
    need(isinstance(msgs, list) and msgs, "[] is too short - 'messages'", "messages")
    pending = []  # ids of the last assistant tool_calls still unanswered
    answerable = set()
    for i, m in enumerate(msgs):
        w = f"messages[{i}]"
        need(isinstance(m, dict), f"{w}: expected an object", w)
        role = m.get("role")
        need(role in ("system", "developer", "user", "assistant", "tool"), f"{w}.role: invalid role", w)
        keys = {"role", "content", "name"} | ({"tool_calls", "refusal"} if role == "assistant" else set()) \
            | ({"tool_call_id"} if role == "tool" else set())
        for k in m:
            need(k in keys, f"Additional properties are not allowed ('{k}' was unexpected) - '{w}'", w)
        if pending and role != "tool":
            raise Invalid("An assistant message with 'tool_calls' must be followed by tool messages "
                          "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                          f"response messages: {', '.join(pending)}", w)
        if role == "tool":
            tid = m.get("tool_call_id")
            need(isinstance(tid, str) and tid, f"{w}.tool_call_id: required", w)
            need(tid in answerable, "Invalid parameter: messages with role 'tool' must be a response to a "
                 f"preceeding message with 'tool_calls' (no pending call with id {tid}).", w)
            answerable.discard(tid)
            pending = [p for p in pending if p != tid]
            check_openai_content(m.get("content"), w)
            continue
        answerable = set()
        if role == "assistant":
            calls = m.get("tool_calls")
            check_openai_content(m.get("content"), w, allow_none=calls is not None)
            if calls is not None:
                need(isinstance(calls, list) and calls, f"{w}.tool_calls: expected a non-empty array", w)
                for j, c in enumerate(calls):
                    cw = f"{w}.tool_calls[{j}]"
                    need(isinstance(c, dict) and set(c) <= {"id", "type", "function"}, f"{cw}: invalid", cw)
                    need(isinstance(c.get("id"), str) and c["id"], f"{cw}.id: required", cw)
                    need(c["id"] not in answerable, f"{cw}.id: duplicate", cw)
                    need(c.get("type") == "function", f"{cw}.type: must be 'function'", cw)
                    fn = c.get("function")
                    need(isinstance(fn, dict) and isinstance(fn.get("name"), str) and fn["name"],
                         f"{cw}.function.name: required", cw)
                    args = fn.get("arguments")
                    need(isinstance(args, str), f"{cw}.function.arguments: expected a JSON string", cw)
                    try:
                        need(isinstance(json.loads(args), dict), f"{cw}.function.arguments: not an object", cw)
                    except ValueError:
                        raise Invalid(f"{cw}.function.arguments: not valid JSON", cw)
                    answerable.add(c["id"])
                    pending.append(c["id"])
        else:
            check_openai_content(m.get("content"), w)
    need(not pending, "An assistant message with 'tool_calls' must be followed by tool messages responding "
         f"to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
         f"{', '.join(pending)}", "messages")


def validate_anthropic(b):
    need(isinstance(b, dict), "invalid request body")
    allowed = {"model", "max_tokens", "messages", "system", "tools", "tool_choice", "temperature", "top_p",
               "top_k", "stop_sequences", "stream", "metadata"}
    for k in b:
        need(k in allowed, f"{k}: Extra inputs are not permitted")
    need(isinstance(b.get("model"), str) and b["model"], "model: Field required")
    mt = b.get("max_tokens")
    need(isinstance(mt, int) and not isinstance(mt, bool) and mt >= 1, "max_tokens: Field required")
    need(b.get("stream") is True, "this fake only serves streamed messages (stream: true)")
    t = b.get("temperature")
    if t is not None:
        need(isinstance(t, (int, float)) and not isinstance(t, bool) and 0 <= t <= 1,
             "temperature: Input should be less than or equal to 1")
    s = b.get("system")
    if s is not None:
        need(isinstance(s, str) or (isinstance(s, list) and all(
            isinstance(x, dict) and x.get("type") == "text" and isinstance(x.get("text"), str) for x in s)),
             "system: Input should be a valid string or a list of text blocks")
    names = set()
    tools = b.get("tools")
    if tools is not None:
        need(isinstance(tools, list), "tools: Input should be a valid list")
        for i, tl in enumerate(tools):
            w = f"tools.{i}"
            need(isinstance(tl, dict) and set(tl) <= {"name", "description", "input_schema", "cache_control"},
                 f"{w}: Extra inputs are not permitted (OpenAI-shaped tool?)")
            need(isinstance(tl.get("name"), str) and NAME_RE.match(tl["name"]),
                 f"{w}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'")
            need(tl["name"] not in names, f"tools: Tool names must be unique.")
            names.add(tl["name"])
            need(isinstance(tl.get("description", ""), str), f"{w}.description: Input should be a valid string")
            sch = tl.get("input_schema")
            need(isinstance(sch, dict) and sch.get("type") == "object",
                 f"{w}.input_schema: Input should be an object with type 'object'")
    tc = b.get("tool_choice")
    if tc is not None:
        need(isinstance(tc, dict) and tc.get("type") in ("auto", "any", "tool", "none"),
             "tool_choice: Input tag does not match any of the expected tags")
        if tc["type"] == "tool":
            need(tc.get("name") in names, "tool_choice: tool not found in tools")
    msgs = b.get("messages")
    need(isinstance(msgs, list) and msgs, "messages: at least one message is required")
    need(isinstance(msgs[0], dict) and msgs[0].get("role") == "user",
         "messages: first message must use the \"user\" role")
    prev_role = None
    uses = set()  # tool_use ids of the previous assistant message
    for i, m in enumerate(msgs):
        w = f"messages.{i}"
        need(isinstance(m, dict) and set(m) <= {"role", "content"}, f"{w}: Extra inputs are not permitted")
        role = m.get("role")
        need(role in ("user", "assistant"), f"{w}.role: Input should be 'user' or 'assistant'")
        need(role != prev_role, f"messages: roles must alternate between \"user\" and \"assistant\", but "
             f"found multiple \"{role}\" roles in a row")
        c = m.get("content")
        if isinstance(c, str):
            need(c != "" or i == len(msgs) - 1, f"{w}: all messages must have non-empty content")
            blocks = [{"type": "text", "text": c}] if c else []
        else:
            need(isinstance(c, list) and c, f"{w}: all messages must have non-empty content")
            blocks = c
        results, seen_other = set(), False
        new_uses = set()
        for j, bl in enumerate(blocks):
            bw = f"{w}.content.{j}"
            need(isinstance(bl, dict), f"{bw}: Input should be an object")
            ty = bl.get("type")
            if ty == "text":
                need(set(bl) <= {"type", "text", "cache_control", "citations"}, f"{bw}: Extra inputs")
                need(isinstance(bl.get("text"), str) and bl["text"] != "", f"{w}: text content blocks must be non-empty")
                seen_other = True
            elif ty == "tool_use":
                need(role == "assistant", f"{bw}: tool_use blocks are only allowed in assistant messages")
                need(set(bl) <= {"type", "id", "name", "input", "cache_control"}, f"{bw}: Extra inputs")
                need(isinstance(bl.get("id"), str) and re.match(r"^[a-zA-Z0-9_-]+$", bl["id"]),
                     f"{bw}.id: String should match pattern '^[a-zA-Z0-9_-]+$'")
                need(bl["id"] not in new_uses, f"{bw}: `tool_use` ids must be unique")
                need(isinstance(bl.get("name"), str) and bl["name"], f"{bw}.name: Field required")
                need(isinstance(bl.get("input"), dict), f"{bw}.input: Input should be a valid dictionary")
                new_uses.add(bl["id"])
            elif ty == "tool_result":
                need(role == "user", f"{bw}: tool_result blocks are only allowed in user messages")
                need(set(bl) <= {"type", "tool_use_id", "content", "is_error", "cache_control"}, f"{bw}: Extra inputs")
                need(not seen_other, f"{w}: tool_result blocks must come first in the content, before any text")
                tid = bl.get("tool_use_id")
                need(tid in uses, f"{w}: unexpected `tool_use_id` found in `tool_result` blocks: {tid}. "
                     "Each `tool_result` block must have a corresponding `tool_use` block in the previous message.")
                rc = bl.get("content", "")
                need(isinstance(rc, str) or isinstance(rc, list), f"{bw}.content: Input should be a string or a list")
                need(isinstance(bl.get("is_error", False), bool), f"{bw}.is_error: Input should be a boolean")
                results.add(tid)
            elif ty in ("image", "document"):
                seen_other = True
            else:
                raise Invalid(f"{bw}.type: Input tag '{ty}' does not match any of the expected tags")
        if role == "user":
            missing = uses - results
            need(not missing, f"messages.{i}: `tool_use` ids were found without `tool_result` blocks "
                 f"immediately after: {', '.join(sorted(missing))}. Each `tool_use` block must have a "
                 "corresponding `tool_result` block in the next message.")
        uses = new_uses if role == "assistant" else set()
        prev_role = role
    need(not uses, f"messages.{len(msgs) - 1}: `tool_use` ids were found without `tool_result` blocks "
         "immediately after")


# ---- the server ----------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake_llm/1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self):
        path = self.path.split("?", 1)[0]
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        with LOCK:
            COUNT[0] += 1
            num = COUNT[0]
        fault = OPTS.fault if OPTS.fault and (OPTS.fault_count is None or num <= OPTS.fault_count) else None
        self.rec = {"n": num, "path": path, "time": time.time(), "client_port": self.client_address[1],
                    "headers": {k.lower(): v for k, v in self.headers.items()
                                if k.lower() in ("authorization", "x-api-key", "anthropic-version",
                                                 "content-type", "accept")},
                    "body": None, "status": None, "fault": fault, "first_event": None, "last_event": None}
        self.logged = False
        try:
            self.rec["body"] = json.loads(raw.decode("utf-8"))
        except ValueError:
            self.rec["body"] = raw.decode("utf-8", "replace")
        if path in ("/v1/chat/completions", "/chat/completions"):
            self.serve_openai(fault)
        elif path == "/v1/messages":
            self.serve_anthropic(fault)
        else:
            self.send_json(404, {"error": {"message": f"Invalid URL (POST {path})",
                                           "type": "invalid_request_error", "param": None, "code": None}})

    # -- plumbing --

    def write_log(self):
        if self.logged or not OPTS.log:
            self.logged = True
            return
        self.logged = True
        with LOCK, open(OPTS.log, "a") as f:
            f.write(json.dumps(self.rec) + "\n")
            f.flush()

    def send_json(self, status, obj, headers=()):
        body = json.dumps(obj).encode()
        self.rec["status"] = status
        self.write_log()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def start_stream(self, headers=()):
        self.rec["status"] = 200
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.flush()

    def chunk(self, data):
        b = data.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
        self.wfile.flush()
        now = time.time()
        if self.rec["first_event"] is None:
            self.rec["first_event"] = now
        self.rec["last_event"] = now

    def end_stream(self):
        self.write_log()  # before the end: a client that saw the end finds its line
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def drop(self):
        self.write_log()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def hold(self):
        """stall/hang: keep the connection open, send nothing, until the client goes."""
        self.write_log()
        self.close_connection = True
        while not STOP.is_set():
            r, _, _ = select.select([self.connection], [], [], 0.2)
            if r:
                try:
                    if not self.connection.recv(4096):
                        return
                except OSError:
                    return

    def pace(self):
        time.sleep(1.0 / max(OPTS.tokens_per_s, 0.001))

    def wait_ttft(self, fault):
        time.sleep(5.0 if fault == "slow" else OPTS.ttft_ms / 1000.0)

    def auth_ok(self, got, want):
        return OPTS.key is None or got == want

    # -- OpenAI --

    def serve_openai(self, fault):
        def err(status, msg, typ="invalid_request_error", param=None, code=None, headers=()):
            self.send_json(status, {"error": {"message": msg, "type": typ, "param": param, "code": code}},
                           headers)

        if not self.auth_ok(self.headers.get("Authorization"), f"Bearer {OPTS.key}"):
            got = self.headers.get("Authorization")
            msg = ("You didn't provide an API key." if not got else
                   "Incorrect API key provided: %s." % (got[7:11] + "****" if len(got) > 11 else got))
            return err(401, msg, code="invalid_api_key")
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            return err(400, "Content-Type must be application/json")
        b = self.rec["body"]
        try:
            validate_openai(b)
        except Invalid as e:
            return err(400, str(e), param=e.param)
        if fault == "429":
            return err(429, "Rate limit reached for requests per min. Please try again in 1s.", "requests",
                       code="rate_limit_exceeded", headers=(("retry-after", "1"),))
        if fault == "500":
            return err(500, "The server had an error while processing your request. Sorry about that!",
                       "server_error")
        last = b["messages"][-1]
        role = "tool" if last.get("role") == "tool" else last.get("role")
        text, calls = reply_for(role, text_of(last.get("content")), last_tool_result_openai(b["messages"]))
        usage = bool((b.get("stream_options") or {}).get("include_usage"))
        cid, created = rand_id("chatcmpl-", 29), int(time.time())

        def event(delta, finish=None, choices=True):
            o = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": b["model"],
                 "system_fingerprint": "fp_fake",
                 "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
                 if choices else []}
            if usage:
                o["usage"] = None
            return "data: " + json.dumps(o, separators=(",", ":")) + "\n\n"

        try:
            self.start_stream((("x-request-id", rand_id("req_")),))
            if fault == "stall":
                return self.hold()
            self.wait_ttft(fault)
            mid = fault in ("drop", "hang", "malformed", "overloaded")  # faults after a few tokens
            sent = 0
            if text or mid:
                self.chunk(event({"role": "assistant", "content": "", "refusal": None}))
                for tok in tokens(text or "x"):
                    self.chunk(event({"content": tok}))
                    sent += 1
                    if sent == 3 and mid:
                        break
                    self.pace()
            if fault == "drop":
                return self.drop()
            if fault == "hang":
                return self.hold()
            if fault == "malformed":
                self.chunk('data: {"id":"' + cid + '","choices":[{"delta":{"content":"oops\n\n')
                return self.end_stream()
            if fault == "overloaded":
                self.chunk("data: " + json.dumps({"error": {
                    "message": "The server is overloaded or not ready yet.", "type": "server_error",
                    "param": None, "code": None}}) + "\n\n")
                return self.end_stream()
            for i, c in enumerate(calls):
                args = json.dumps(c.get("arguments", {}))
                first = {"tool_calls": [{"index": i, "id": rand_id("call_"), "type": "function",
                                         "function": {"name": c["name"], "arguments": ""}}]}
                if i == 0 and not text:
                    first = dict({"role": "assistant", "content": None}, **first)
                self.chunk(event(first))
                for frag in fragments(args):
                    self.pace()
                    self.chunk(event({"tool_calls": [{"index": i, "function": {"arguments": frag}}]}))
            self.chunk(event({}, "tool_calls" if calls else "stop"))
            if usage:
                n_out = len(tokens(text or "")) + len(calls) * 8
                self.chunk("data: " + json.dumps(
                    {"id": cid, "object": "chat.completion.chunk", "created": created, "model": b["model"],
                     "system_fingerprint": "fp_fake", "choices": [],
                     "usage": {"prompt_tokens": 20, "completion_tokens": n_out, "total_tokens": 20 + n_out}},
                    separators=(",", ":")) + "\n\n")
            self.chunk("data: [DONE]\n\n")
            self.end_stream()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            self.write_log()

    # -- Anthropic --

    def serve_anthropic(self, fault):
        def err(status, typ, msg, headers=()):
            self.send_json(status, {"type": "error", "error": {"type": typ, "message": msg}}, headers)

        if not self.auth_ok(self.headers.get("x-api-key"), OPTS.key):
            return err(401, "authentication_error", "invalid x-api-key")
        if self.headers.get("anthropic-version") != "2023-06-01":
            return err(400, "invalid_request_error", "anthropic-version: header is required (2023-06-01)")
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            return err(400, "invalid_request_error", "content-type must be application/json")
        b = self.rec["body"]
        try:
            validate_anthropic(b)
        except Invalid as e:
            return err(400, "invalid_request_error", str(e))
        if fault == "429":
            return err(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit",
                       (("retry-after", "1"),))
        if fault == "500":
            return err(500, "api_error", "Internal server error")
        last = b["messages"][-1]
        content = last.get("content")
        is_tool = isinstance(content, list) and any(
            isinstance(x, dict) and x.get("type") == "tool_result" for x in content)
        role = "tool" if last["role"] == "user" and is_tool else last["role"]
        text, calls = reply_for(role, text_of(content), last_tool_result_anthropic(b["messages"]))

        def ev(name, obj):
            return f"event: {name}\ndata: " + json.dumps(obj, separators=(",", ":")) + "\n\n"

        try:
            self.start_stream((("request-id", rand_id("req_")),))
            if fault == "stall":
                return self.hold()
            self.wait_ttft(fault)
            self.chunk(ev("message_start", {"type": "message_start", "message": {
                "id": rand_id("msg_"), "type": "message", "role": "assistant", "model": b["model"],
                "content": [], "stop_reason": None, "stop_sequence": None,
                "usage": {"input_tokens": 25, "output_tokens": 1}}}))
            idx = 0
            pinged = False
            mid = fault in ("drop", "hang", "malformed", "overloaded")  # faults after a few tokens
            if text or mid:
                self.chunk(ev("content_block_start", {"type": "content_block_start", "index": 0,
                                                      "content_block": {"type": "text", "text": ""}}))
                self.chunk('event: ping\ndata: {"type": "ping"}\n\n')
                pinged = True
                sent = 0
                for tok in tokens(text or "x"):
                    self.chunk(ev("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                          "delta": {"type": "text_delta", "text": tok}}))
                    sent += 1
                    if sent == 3 and mid:
                        break
                    self.pace()
                if fault == "drop":
                    return self.drop()
                if fault == "hang":
                    return self.hold()
                if fault == "malformed":
                    self.chunk('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
                               '"delta":{"type":"text_delta","text":"oops\n\n')
                    return self.end_stream()
                if fault == "overloaded":
                    self.chunk(ev("error", {"type": "error", "error": {"type": "overloaded_error",
                                                                       "message": "Overloaded"}}))
                    return self.end_stream()
                self.chunk(ev("content_block_stop", {"type": "content_block_stop", "index": 0}))
                idx = 1
            if not pinged:
                self.chunk('event: ping\ndata: {"type": "ping"}\n\n')
            for c in calls:
                self.chunk(ev("content_block_start", {"type": "content_block_start", "index": idx,
                                                      "content_block": {"type": "tool_use", "id": rand_id("toolu_01", 22),
                                                                        "name": c["name"], "input": {}}}))
                for frag in [""] + fragments(json.dumps(c.get("arguments", {}))):
                    self.chunk(ev("content_block_delta", {"type": "content_block_delta", "index": idx,
                                                          "delta": {"type": "input_json_delta", "partial_json": frag}}))
                    self.pace()
                self.chunk(ev("content_block_stop", {"type": "content_block_stop", "index": idx}))
                idx += 1
            n_out = len(tokens(text or "")) + len(calls) * 8
            self.chunk(ev("message_delta", {"type": "message_delta", "delta": {
                "stop_reason": "tool_use" if calls else "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": n_out}}))
            self.chunk(ev("message_stop", {"type": "message_stop"}))
            self.end_stream()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            self.write_log()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global OPTS, SCRIPT
    ap = argparse.ArgumentParser(description="fake OpenAI + Anthropic streaming LLM server")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--key")
    ap.add_argument("--script")
    ap.add_argument("--ttft-ms", type=float, default=200)
    ap.add_argument("--tokens-per-s", type=float, default=50)
    ap.add_argument("--fault", choices=["stall", "drop", "hang", "429", "500", "malformed", "overloaded", "slow"])
    ap.add_argument("--fault-count", type=int)
    ap.add_argument("--log")
    OPTS = ap.parse_args()
    if OPTS.script:
        with open(OPTS.script) as f:
            SCRIPT = json.load(f)
    srv = Server(("127.0.0.1", OPTS.port), Handler)

    def on_term(signum, frame):
        STOP.set()
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    print(f"port {srv.server_address[1]}", flush=True)
    srv.serve_forever(poll_interval=0.1)
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
