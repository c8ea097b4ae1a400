#!/usr/bin/env python3
"""Writes framed gRPC request bodies (5-byte prefix + protobuf, encoded by hand) for h2load.

  grpc_body.py extract ARTICLE OUT            one ExtractRequest{text}
  grpc_body.py batch ARTICLE N OUT            one ExtractBatchRequest of N copies of ARTICLE
  grpc_body.py stream ARTICLE N OUT           N framed ExtractRequests (a whole ExtractStream)
  grpc_body.py health OUT                     one empty HealthCheckRequest (the whole server)

ExtractRequest: text = 1 (string), offset_encoding = 2, types = 3, document_id = 4.
"""
import struct, sys


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(number, payload):  # length-delimited field
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def extract_request(text, doc_id=""):
    msg = field(1, text.encode("utf-8"))
    if doc_id:
        msg += field(4, doc_id.encode())
    return msg


def frame(msg):
    return b"\x00" + struct.pack(">I", len(msg)) + msg


def main():
    kind, args = sys.argv[1], sys.argv[2:]
    if kind == "health":
        body = frame(b"")
    else:
        text = open(args[0], encoding="utf-8").read()
        if kind == "extract":
            body = frame(extract_request(text))
        elif kind == "batch":
            body = frame(b"".join(field(1, extract_request(text, f"d{i}")) for i in range(int(args[1]))))
        elif kind == "stream":
            body = b"".join(frame(extract_request(text, f"d{i}")) for i in range(int(args[1])))
        else:
            sys.exit(f"unknown kind {kind}")
    open(args[-1], "wb").write(body)


if __name__ == "__main__":
    main()
