#!/usr/bin/python3
"""A real SMTP server for the provider tests (Debian's python3-aiosmtpd).

Usage: smtp_sink.py OUT_DIR
Listens on 127.0.0.1 on a free port, writes the port to OUT_DIR/port once it is serving,
and each message it accepts to OUT_DIR/mail-N.eml (envelope in X-Envelope-* lines first).
Stops when its stdin closes, so it never outlives the test that started it.
"""
import os
import socket
import sys
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out):
        self.out = out
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        head = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {','.join(envelope.rcpt_tos)}\r\n"
        tmp = os.path.join(self.out, f".mail-{self.n}.tmp")
        with open(tmp, "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(tmp, os.path.join(self.out, f"mail-{self.n}.eml"))
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    out = sys.argv[1]
    for _ in range(20):
        port = free_port()
        controller = Controller(Sink(out), hostname="127.0.0.1", port=port)
        try:
            controller.start()
            break
        except Exception:  # the port was taken meanwhile: pick another
            time.sleep(0.05)
    else:
        sys.exit("smtp_sink: no free port")
    with open(os.path.join(out, "port.tmp"), "w") as f:
        f.write(str(port))
    os.rename(os.path.join(out, "port.tmp"), os.path.join(out, "port"))
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
