#!/usr/bin/env python3
"""An hl7apy MLLP server on loopback that answers each message handoff sends with an ACK built by hl7apy.

Usage: python3 tests/interop/hl7apy_mllp_server.py
Needs: pip install hl7apy==1.3.5
Prints the port it listens on (127.0.0.1, chosen by the OS) as its first line, then serves until its standard
input closes, so it never outlives the test that started it (tests/interop_mllp.rs).

A DFT^P03 that hl7apy parses and validates strictly as 2.5.1 is answered AA; anything else AR, with the reason in
MSA-3. Either way MSA-2 echoes the received MSH-10 when it can be read.
"""
import sys
import threading

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message
from hl7apy.mllp import AbstractErrorHandler, AbstractHandler, MLLPServer
from hl7apy.parser import parse_message


def acknowledgment(received_er7, code, text=""):
    """An ACK to the received message, back along its route reversed, with MSA-2 echoing its control id."""
    fields = received_er7.split("\r", 1)[0].split("|")
    msh = lambda n: fields[n - 1] if 2 <= n <= len(fields) else ""  # fields[1] is MSH-2: MSH-1 is the "|" itself
    ack = Message("ACK", version="2.5.1", validation_level=VALIDATION_LEVEL.STRICT)
    ack.msh.msh_3 = msh(5)  # the receiver answers, so the route is reversed
    ack.msh.msh_4 = msh(6)
    ack.msh.msh_5 = msh(3)
    ack.msh.msh_6 = msh(4)
    message_type = msh(9).split("^")
    ack.msh.msh_9 = f"ACK^{message_type[1] if len(message_type) > 1 else ''}^ACK"
    ack.msh.msh_10 = f"HL7APY-{msh(10)}"
    ack.msh.msh_11 = "P"
    ack.msa.msa_1 = code
    ack.msa.msa_2 = msh(10)
    if text:
        # MSA-3 is plain text (ST): keep it short and free of the delimiters hl7apy would read as structure.
        ack.msa.msa_3 = " ".join(text.translate({ord(c): " " for c in "|^~\\&"}).split())[:80]
    return ack.to_mllp()


class Acknowledge(AbstractHandler):
    def reply(self):
        text = self.incoming_message.rstrip("\r")
        try:
            message = parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
            message.validate()
        except Exception as error:  # any hl7apy complaint becomes the AR's text
            return acknowledgment(text, "AR", f"{type(error).__name__}: {' '.join(str(error).split())}")
        return acknowledgment(text, "AA")


class Refuse(AbstractErrorHandler):
    def reply(self):
        return acknowledgment(self.incoming_message, "AR", f"{type(self.exc).__name__}: {self.exc}")


def main():
    server = MLLPServer("127.0.0.1", 0, {"DFT^P03^DFT_P03": (Acknowledge,), "ERR": (Refuse,)}, timeout=10)
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # returns when the test closes our stdin or exits
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
