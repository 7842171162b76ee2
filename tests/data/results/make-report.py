# A tester-shaped rtcprobe.report/1 for the results view tests (stdlib only):
# make-report.py VANTAGE UDP(ok|blocked) MOS LOSS_FWD LOSS_BWD VOICE_STATUS
import json
import sys

vantage, udp, mos, lf, lb, st = sys.argv[1:7]
udp_ok = udp == 'ok'
checks = [
    {'id': 'ice.udp', 'kind': 'ice', 'status': 'pass' if udp_ok else 'fail',
     'summary': 'relay over UDP' if udp_ok else 'no relay over UDP: this network blocks UDP'},
    {'id': 'ice.tcp', 'kind': 'ice', 'status': 'pass', 'summary': 'relay over TCP'},
    {'id': 'voice.ice' if udp_ok else 'voice.turn.tcp', 'kind': 'voice', 'status': st,
     'summary': 'voice %s' % st,
     'metrics': {'rtt_ms_p50': 42.5, 'jitter_ms_fwd': 3.1, 'jitter_ms_bwd': 2.2,
                 'loss_pct_fwd': float(lf), 'loss_pct_bwd': float(lb), 'mos': float(mos)}},
]
print(json.dumps({'schema': 'rtcprobe.report/1',
                  'tool': {'name': 'rtcprobe', 'version': '0.1.0'},
                  'command': 'tester', 'started_at': '2026-12-05T08:00:00Z',
                  'duration_ms': 9000,
                  'vantage': {'label': vantage, 'from': "a tester's browser"},
                  'checks': checks}))
