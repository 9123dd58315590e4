#!/usr/bin/python3
"""lab scale N: make namespace `scale` hold exactly N pod objects
(scale-00001 ... scale-N), bound to the lab nodes round-robin, with a
Running/Ready status and pod IPs from 198.19.128.0/17 (no collision with
real pods, which use 198.19.<node>.0/24). No netns/process exists for them;
the lab kubelet ignores this namespace. N=0 deletes them all."""
import http.client, json, os, ssl, sys, threading, time
from concurrent.futures import ThreadPoolExecutor

S = os.environ['KNET_LAB_DIR']
CFG = json.load(open(os.path.join(S, 'lab.json')))
TOKEN = open(os.path.join(S, 'tokens', 'admin')).read().strip()
ctx = ssl.create_default_context(cafile=os.path.join(S, 'pki', 'ca.crt'))
tl = threading.local()
NS = 'scale'


def api(method, path, body=None, ctype='application/json'):
    data = None if body is None else json.dumps(body).encode()
    for attempt in range(5):
        c = getattr(tl, 'c', None)
        if c is None:
            c = tl.c = http.client.HTTPSConnection(CFG['api_host'], CFG['api_port'], context=ctx, timeout=60)
        try:
            h = {'Authorization': 'Bearer ' + TOKEN, 'Accept': 'application/json'}
            if data is not None:
                h['Content-Type'] = ctype
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            raw = r.read()
            if r.status == 429 or r.status >= 500:
                time.sleep(0.5 * (attempt + 1))
                continue
            return r.status, (json.loads(raw) if raw else {})
        except (OSError, http.client.HTTPException):
            tl.c = None
            time.sleep(0.2)
    raise RuntimeError('%s %s failed' % (method, path))


def ts():
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())


def pod_ip(i):
    n = 128 * 256 + i          # 198.19.128.0 + i
    return '198.19.%d.%d' % (n // 256, n % 256)


def create(i):
    name = 'scale-%05d' % i
    node = CFG['nodes'][(i - 1) % len(CFG['nodes'])]
    body = {'apiVersion': 'v1', 'kind': 'Pod',
            'metadata': {'name': name, 'namespace': NS, 'labels': {'app': 'scale', 'knet-lab/scale': 'true'}},
            'spec': {'nodeName': node['name'], 'automountServiceAccountToken': False,
                     'containers': [{'name': 'pause', 'image': 'knet-lab/pause:1'}]}}
    code, j = api('POST', '/api/v1/namespaces/%s/pods' % NS, body)
    if code not in (201, 409):
        raise RuntimeError('create %s: %s %s' % (name, code, j.get('message')))
    t = ts()
    ip = pod_ip(i)
    cond = lambda typ: {'type': typ, 'status': 'True', 'lastProbeTime': None, 'lastTransitionTime': t}
    st = {'status': {'phase': 'Running', 'hostIP': node['ip'], 'podIP': ip, 'podIPs': [{'ip': ip}],
                     'startTime': t, 'conditions': [cond('Initialized'), cond('Ready'), cond('ContainersReady'),
                                                    cond('PodScheduled')],
                     'containerStatuses': [{'name': 'pause', 'image': 'knet-lab/pause:1', 'imageID': '',
                                            'containerID': 'containerd://%064x' % i, 'ready': True,
                                            'started': True, 'restartCount': 0,
                                            'state': {'running': {'startedAt': t}}, 'lastState': {}}]}}
    code, j = api('PATCH', '/api/v1/namespaces/%s/pods/%s/status' % (NS, name), st, 'application/merge-patch+json')
    if code != 200:
        raise RuntimeError('status %s: %s %s' % (name, code, j.get('message')))


def delete(name):
    code, j = api('DELETE', '/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0' % (NS, name))
    if code not in (200, 202, 404):
        raise RuntimeError('delete %s: %s' % (name, code))


def main():
    n = int(sys.argv[1])
    t0 = time.time()
    if n < 0 or n > 30000:
        sys.exit('lab scale: N must be 0..30000')
    code, j = api('GET', '/api/v1/namespaces/' + NS)
    if code == 404 and n > 0:
        api('POST', '/api/v1/namespaces', {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': NS}})
    if n > 0:
        for _ in range(100):     # ServiceAccount admission needs the default SA
            code, j = api('GET', '/api/v1/namespaces/%s/serviceaccounts/default' % NS)
            if code == 200:
                break
            time.sleep(0.2)
    code, j = api('GET', '/api/v1/namespaces/%s/pods' % NS)
    have = {p['metadata']['name'] for p in j.get('items', [])} if code == 200 else set()
    want = {'scale-%05d' % i for i in range(1, n + 1)}
    if n == 0 and have:
        code, j = api('DELETE', '/api/v1/namespaces/%s/pods?gracePeriodSeconds=0' % NS)
        if code not in (200, 202):
            sys.exit('lab scale: delete collection: %s' % code)
    else:
        todo = [i for i in range(1, n + 1) if 'scale-%05d' % i not in have]
        extra = sorted(have - want)
        errs = []
        with ThreadPoolExecutor(max_workers=24) as ex:
            for f in [ex.submit(create, i) for i in todo] + [ex.submit(delete, x) for x in extra]:
                try:
                    f.result()
                except Exception as e:
                    errs.append(str(e))
        if errs:
            sys.exit('lab scale: %d errors, first: %s' % (len(errs), errs[0]))
    # wait until the list shows the target count
    for _ in range(120):
        code, j = api('GET', '/api/v1/namespaces/%s/pods?limit=1' % NS)
        cnt = len(j.get('items', [])) + int(j.get('metadata', {}).get('remainingItemCount', 0) or 0) if code == 200 else 0
        if cnt == n:
            break
        time.sleep(0.5)
    print('lab: scale: %d pods in namespace %s (%.1fs)' % (n, NS, time.time() - t0), file=sys.stderr)


if __name__ == '__main__':
    main()
