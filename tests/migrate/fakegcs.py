"""A Google Cloud Storage stand-in that checks each request against the JSON API's resumable-upload protocol.

No GCS emulator is on PyPI (fake-gcs-server is a Go binary, not installable here), so the backup tests point
google-cloud-storage at this server (``STORAGE_EMULATOR_HOST``). It implements only what a streamed upload
uses, and answers anything else, or anything out of protocol, with 400 and a recorded violation:

- ``POST /upload/storage/v1/b/<bucket>/o?uploadType=resumable`` with the object's metadata (its ``name``) as
  JSON: 404 for an unknown bucket, else 200 and the session URI in ``Location``;
- ``GET /storage/v1/b/<bucket>`` (the client's background metadata fetch): 403, as an identity that may only
  create objects gets;
- ``PUT <session>`` with ``Content-Range: bytes a-b/*`` (a chunk: ``a`` is what the session holds, the length is
  ``b-a+1`` and a multiple of 256 KiB) answered 308 with ``Range: bytes=0-b``, or ``bytes a-b/N`` /
  ``bytes */N`` (the last chunk: N is the total) answered 200 with the object resource and its crc32c, and only
  then is the object visible;
- ``DELETE <session>``: the session is cancelled (499, as GCS answers) and takes no more chunks.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import google_crc32c

CHUNK_QUANTUM = 256 * 1024
_RANGE = re.compile(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)")


@dataclass
class Session:
    bucket: str
    name: str
    data: bytearray = field(default_factory=bytearray)
    chunks: int = 0
    cancelled: bool = False


@dataclass
class FakeGcs:
    buckets: set[str] = field(default_factory=set)
    objects: dict[tuple[str, str], bytes] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    chunks: dict[tuple[str, str], int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    bucket_reads: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def serve(state: FakeGcs) -> ThreadingHTTPServer:
    """A started server on a free port of 127.0.0.1 (``server.shutdown()`` stops it)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            url = urlsplit(self.path)
            match = re.fullmatch(r"/upload/storage/v1/b/([^/]+)/o", url.path)
            query = parse_qs(url.query)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if match is None or query.get("uploadType") != ["resumable"]:
                return self._violation(f"unexpected POST {self.path}")
            name = json.loads(body or b"{}").get("name") or (query.get("name") or [""])[0]
            if not name:
                return self._violation("resumable upload started without an object name")
            if match[1] not in state.buckets:
                return self._json(404, {"error": {"code": 404, "message": "The specified bucket does not exist."}})
            with state.lock:
                upload_id = f"u{len(state.sessions)}"
                state.sessions[upload_id] = Session(match[1], name)
            self.send_response(200)
            self.send_header(
                "Location", f"http://{self.headers['Host']}{url.path}?uploadType=resumable&upload_id={upload_id}"
            )
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_PUT(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            session = state.sessions.get((query.get("upload_id") or [""])[0])
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            match = _RANGE.fullmatch(self.headers.get("Content-Range", ""))
            if session is None or match is None:
                return self._violation(f"PUT without a session or a Content-Range: {self.path}")
            if session.cancelled:
                return self._violation("a chunk sent to a cancelled session")
            first, last, total = match.groups()
            held = len(session.data)
            if first is None:
                if body:
                    return self._violation("a 'bytes */N' request with a body")
            elif int(first) != held or int(last) - int(first) + 1 != len(body):
                return self._violation(f"chunk {first}-{last} of {len(body)} bytes, but the session holds {held}")
            if total == "*" and len(body) % CHUNK_QUANTUM:
                return self._violation(f"a non-final chunk of {len(body)} bytes (not a multiple of 256 KiB)")
            session.data += body
            session.chunks += 1
            if total == "*":
                self.send_response(308)
                self.send_header("Range", f"bytes=0-{len(session.data) - 1}")
                self.send_header("Content-Length", "0")
                return self.end_headers()
            if int(total) != len(session.data):
                return self._violation(f"final size {total}, but {len(session.data)} bytes were sent")
            data = bytes(session.data)
            state.objects[(session.bucket, session.name)] = data
            state.chunks[(session.bucket, session.name)] = session.chunks
            crc = base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()
            self._json(200, {"kind": "storage#object", "bucket": session.bucket, "name": session.name,
                             "size": str(len(data)), "crc32c": crc, "generation": "1"})  # fmt: skip

        def do_DELETE(self) -> None:
            session = state.sessions.get((parse_qs(urlsplit(self.path).query).get("upload_id") or [""])[0])
            if session is None or session.cancelled:
                return self._violation(f"DELETE of no open session: {self.path}")
            session.cancelled = True
            self._json(499, {"error": {"code": 499, "message": "upload cancelled"}})

        def do_GET(self) -> None:
            # the client's background bucket-metadata fetch (observability): a backup identity that may only
            # create objects (roles/storage.objectCreator) gets 403 here, and the upload must not depend on it
            if re.fullmatch(r"/storage/v1/b/[^/]+", urlsplit(self.path).path):
                state.bucket_reads += 1
                return self._json(403, {"error": {"code": 403, "message": "storage.buckets.get denied"}})
            self._violation(f"unexpected GET {self.path}")

        def _json(self, status: int, payload: dict[str, object]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _violation(self, what: str) -> None:
            state.violations.append(what)
            self._json(400, {"error": {"code": 400, "message": what}})

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


if __name__ == "__main__":  # python -m tests.migrate.fakegcs BUCKET: serves until killed, prints its endpoint
    import sys

    live = serve(FakeGcs(buckets={sys.argv[1]}))
    host, port = live.server_address[:2]
    print(f"http://{host!s}:{port}", flush=True)
    threading.Event().wait()
