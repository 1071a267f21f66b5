#!/usr/bin/env python3
# A stand-in for irqbalance's control socket in a fixture host tree, for the CLI tests.
#   fake-irqbalance.py ROOT PID [BANNED-LIST]
# Creates ROOT/proc/PID/{comm,stat} and listens on ROOT/run/irqbalance/irqbalancePID.sock as
# irqbalance 1.9 does: "setup" answers "SLEEP 10 BANNED <cpumask>", "settings cpus LIST|NULL" sets
# the banned CPUs (NULL: back to the initial list). Like irqbalance it ignores commands sent
# without root's credentials. Every accepted command is appended to ROOT/irqbalance.log. Prints
# "ready" once listening; runs until killed.
import os
import socket
import struct
import sys

root, pid = sys.argv[1], int(sys.argv[2])
initial = sys.argv[3] if len(sys.argv) > 3 else ""


def parse_list(s):
    cpus = set()
    for part in filter(None, s.strip().split(",")):
        a, _, b = part.partition("-")
        cpus.update(range(int(a), int(b or a) + 1))
    return cpus


def mask(cpus):
    words = max(1, (max(cpus) // 32 + 1) if cpus else 1)
    out = []
    for w in reversed(range(words)):
        out.append("%08x" % sum(1 << (c - 32 * w) for c in cpus if 32 * w <= c < 32 * (w + 1)))
    return ",".join(out)


os.makedirs(f"{root}/proc/{pid}", exist_ok=True)
with open(f"{root}/proc/{pid}/comm", "w") as f:
    f.write("irqbalance\n")
with open(f"{root}/proc/{pid}/stat", "w") as f:
    f.write(f"{pid} (irqbalance) S 1 {pid} {pid} 0 -1 4194560 " + "0 " * 12 + "4242 " + "0 " * 30 + "\n")
os.makedirs(f"{root}/run/irqbalance", exist_ok=True)
path = f"{root}/run/irqbalance/irqbalance{pid}.sock"
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
srv.listen(4)
banned = parse_list(initial)
print("ready", flush=True)
while True:
    conn, _ = srv.accept()
    msg, anc, _, _ = conn.recvmsg(16384, socket.CMSG_SPACE(12))
    cmd = msg.decode(errors="replace")
    uid = None
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            _, uid, _ = struct.unpack("iII", data[:12])
    if uid == 0:
        with open(f"{root}/irqbalance.log", "a") as f:
            f.write(cmd + "\n")
        if cmd.startswith("setup"):
            conn.sendall(f"SLEEP 10 BANNED {mask(banned)}".encode())
        elif cmd.startswith("settings cpus "):
            arg = cmd[len("settings cpus "):].split(" ")[0]
            banned = parse_list(initial) if arg.startswith("NULL") or not arg else parse_list(arg)
    conn.close()
