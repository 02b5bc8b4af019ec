#!/usr/bin/env bash
# Reproduces the stall most likely behind the one 9 s block gap of the chaos soak's first 30-minute run
# (bench/results/chaos-soak-first-run.json; that run kept no logs of it, later runs keep them for any gap of
# 5 s or more): on a 3-sealer network with one sealer down, the two left (a majority) can each seal
# their own block at one height, out of turn (difficulty 1 each). Each then keeps its own block
# (geth 1.13 breaks an equal-difficulty tie by a coin toss when the other's block arrives, so
# both keep theirs one time in four), neither may seal the next ("signed recently, must wait for
# others": one block in any floor(3/2)+1 = 2), and the chain stops until the third signer seals.
#
# The script makes the split on purpose: geth's miner.stop/start over IPC choose who seals, so
# that block h is sealed by the signer in turn at h+1; that signer is killed; one of the two
# others is cut from the Docker network while both mine, then reconnected. It repeats until the
# chain stalls (or 10 attempts), shows both heads, then shows that restarting both sealers does
# not help, and that rewinding one of them one block and peering it again does.
#
#   scripts/repro-clique-tie-stall.sh        (needs Docker, the geth image and `npm run build`)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d "${TMPDIR:-/tmp}/medrec-tie-XXXX")
name="tie-$RANDOM"
port=$((20000 + RANDOM % 20000))
medrec() { ./bin/run.js "$@" --dir "$dir" --json; }
cleanup() { medrec network destroy --force >/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
medrec network init --name "$name" --period 1 --light-kdf --rpc-port "$port" >/dev/null
medrec network up >/dev/null
net="medrec-$name"
ipc() { { docker exec "${net}_$1" geth attach --exec "$2" /data/geth.ipc 2>/dev/null || true; } | tr -d "\n"; }
headn() { ipc "$1" 'eth.blockNumber'; }
lower() { tr -d '"' | tr 'A-F' 'a-f'; }
signer() { ipc "$1" "clique.getSigner(eth.getBlock($2).hash)" | lower; }
brief() { ipc "$1" '(function(){var b=eth.getBlock("latest");return [b.number,b.hash.slice(0,10),b.difficulty]})()'; }
declare -A NAME
for s in sealer-1 sealer-2 sealer-3; do NAME[$(ipc "$s" 'eth.coinbase' | lower)]=$s; done
read -r -a SIGNERS <<<"$(ipc sealer-1 'clique.getSigners()' | tr -d '[]" ' | tr ',' ' ' | tr 'A-F' 'a-f')"

for attempt in $(seq 1 10); do
  echo "--- attempt $attempt"
  for s in sealer-1 sealer-2 sealer-3; do ipc "$s" 'miner.stop()' >/dev/null; done
  sleep 3
  # One chosen sealer at a time, until block h is sealed by the signer in turn at h+1.
  for _ in 1 2 3 4; do
    g=$(headn sealer-1)
    sg=$(signer sealer-1 "$g")
    want=${SIGNERS[$(((g + 2) % 3))]}
    who=${NAME[$want]}
    if [ "$want" = "$sg" ]; then for x in "${SIGNERS[@]}"; do [ "$x" != "$sg" ] && who=${NAME[$x]} && break; done; fi
    ipc "$who" 'miner.start()' >/dev/null
    for _ in $(seq 1 20); do sleep 0.5; [ "$(headn sealer-1)" -gt "$g" ] && break; done
    ipc "$who" 'miner.stop()' >/dev/null
    sleep 1
    h=$(headn sealer-1)
    sh=$(signer sealer-1 "$h")
    [ "$sh" = "${SIGNERS[$(((h + 1) % 3))]}" ] && break
  done
  dead=${NAME[$sh]}
  others=()
  for s in sealer-1 sealer-2 sealer-3; do [ "$s" != "$dead" ] && others+=("$s"); done
  a=${others[0]}
  b=${others[1]}
  echo "block $h sealed by $dead, the signer in turn at $((h + 1)): kill it; cut $a off while $a and $b mine"
  docker kill "${net}_$dead" >/dev/null
  ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "${net}_$a")
  docker network disconnect -f "$net" "${net}_$a"
  ipc "$a" 'miner.start()' >/dev/null
  ipc "$b" 'miner.start()' >/dev/null
  sleep 4
  echo "while cut off: $a $(brief "$a"), $b $(brief "$b")"
  docker network connect --ip "$ip" "$net" "${net}_$a"
  sleep 15
  x=$(headn "$a")
  y=$(headn "$b")
  sleep 45
  echo "reconnected, 45 s later: $a $x -> $(headn "$a"), $b $y -> $(headn "$b")"
  if [ "$(headn "$a")" = "$x" ] && [ "$(headn "$b")" = "$y" ]; then
    echo "STALLED with 2 of 3 signers online and connected: $a $(brief "$a") $b $(brief "$b")"
    echo "peers: $a $(ipc "$a" 'admin.peers.length'), $b $(ipc "$b" 'admin.peers.length')"
    docker logs "${net}_$b" 2>&1 | tail -6
    docker restart "${net}_$a" "${net}_$b" >/dev/null
    sleep 30
    echo "after restarting both: $a $(brief "$a") $b $(brief "$b")"
    enode=$(ipc "$a" 'admin.nodeInfo.enode' | tr -d '"')
    ipc "$b" 'miner.stop()' >/dev/null
    ipc "$b" "debug.setHead('0x$(printf %x $((y - 1)))')" >/dev/null
    ipc "$b" "admin.removePeer('$enode')" >/dev/null
    sleep 1
    ipc "$b" "admin.addPeer('$enode')" >/dev/null
    sleep 5
    ipc "$b" 'miner.start()' >/dev/null
    sleep 15
    echo "after rewinding $b one block and peering it with $a again: $a $(brief "$a") $b $(brief "$b")"
    exit 0
  fi
  docker start "${net}_$dead" >/dev/null
  sleep 10
  for s in sealer-1 sealer-2 sealer-3; do ipc "$s" 'miner.start()' >/dev/null; done
  sleep 10
done
echo "no stall in 10 attempts (each stalls with probability about 1/4)"
