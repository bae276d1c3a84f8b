#!/usr/bin/python3
"""generate.py - writes every snapshot under examples/ from the data below.

Usage: examples/generate.py        (from anywhere; rewrites the files)

  cluster-ipv4.json, cluster-ipv6.json, cluster-dual.json
      one small cluster of every kind snapnet reads, IPv4-only,
      IPv6-only and dual-stack, in slim form: the fields snapnet reads
      plus kind, apiVersion and container names
  cluster-dual-full.json
      cluster-dual.json as kubectl prints it: the same objects plus what
      the API server adds (managedFields, uid, resourceVersion, conditions,
      images, defaulted fields such as policyTypes or a port's protocol)
  valid/*.json              valid snapshots that probe one reading each
  invalid/schema/*.json     each breaks one rule the schema expresses
  invalid/semantic/*.json   each breaks one rule only snapnet checks

Every invalid snapshot is a small valid one (two namespaces, the three
dual-stack nodes, the object under test) with exactly one thing wrong.
The layout is kubectl's: 4-space indent, sorted keys, a final newline.
The output is deterministic, so `git diff` after a run shows what changed.
"""
import copy
import json
import os
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
V4, V6 = "IPv4", "IPv6"


def pick(fams, v4, v6):
    """v4 and/or v6, in the order of the cluster's families."""
    return [v4 if f == V4 else v6 for f in fams]


def uid(*parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "snapnet/" + "/".join(parts)))


# ---- the cluster, slim --------------------------------------------------

def namespaces():
    out = []
    for name, labels in [("default", {}), ("kube-system", {}),
                         ("shop", {"env": "prod", "team": "shop"})]:
        out.append({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name,
                         "labels": {"kubernetes.io/metadata.name": name,
                                    **labels}},
        })
    return out


def node(fams, i):
    c = "abc"[i - 1]
    name = "node-" + c
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "topology.kubernetes.io/zone": "zone-" + c,
    }
    ann = {"kube-router.io/node.asn": str(64511 + i)}
    if i == 1:
        labels["node-role.kubernetes.io/control-plane"] = ""
        ann["kube-router.io/peer.ips"] = ",".join(
            pick(fams, "10.0.0.254", "fd00:10::fe"))
        ann["kube-router.io/peer.asns"] = ",".join(["64500"] * len(fams))
    if i == 2:
        ann["kube-router.io/node.bgp.communities"] = "64512:100"
    cidrs = pick(fams, f"10.244.{i}.0/24", f"fd00:244:0:{i}::/64")
    addrs = [{"address": a, "type": "InternalIP"}
             for a in pick(fams, f"10.0.0.{i}", f"fd00:10::{i}")]
    addrs += [{"address": a, "type": "ExternalIP"}
              for a in pick(fams, f"203.0.113.{i}", f"2001:db8:113::{i}")]
    addrs.append({"address": name, "type": "Hostname"})
    if i == 1:
        addrs.append({"address": "node-a.cluster.internal",
                      "type": "InternalDNS"})
        addrs.append({"address": "node-a.example.com", "type": "ExternalDNS"})
    spec = {"podCIDR": cidrs[0], "podCIDRs": cidrs}
    if i == 3:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels, "annotations": ann},
        "spec": spec,
        "status": {"addresses": addrs},
    }


# ns, name, node, (v4 host, v6 host) or None for hostNetwork, labels,
# containers [(name, [(port name, number, protocol or None)])], extras
PODS = [
    ("kube-system", "kube-apiserver-node-a", 1, None,
     {"component": "kube-apiserver", "tier": "control-plane"},
     [("kube-apiserver", [("https", 6443, "TCP")])], {}),
    ("kube-system", "coredns-5d78c9869d-x7k2p", 1, (205, 0x30),
     {"k8s-app": "kube-dns", "pod-template-hash": "5d78c9869d"},
     [("coredns", [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"),
                   ("metrics", 9153, "TCP")])], {}),
    ("default", "web-6d4cf56db6-k2w8n", 1, (17, 0x11),
     {"app": "web", "pod-template-hash": "6d4cf56db6"},
     [("nginx", [("http", 80, None)])], {"terminating": True}),
    ("default", "web-6d4cf56db6-4x9zq", 2, (48, 0x1c),
     {"app": "web", "pod-template-hash": "6d4cf56db6"},
     [("nginx", [("http", 80, None)])], {}),
    ("default", "web-6d4cf56db6-r7m2k", 3, (54, 0x81),
     {"app": "web", "pod-template-hash": "6d4cf56db6"},
     [("nginx", [("http", 80, None)])], {}),
    ("shop", "db-0", 2, (21, 0x15),
     {"app": "db", "apps.kubernetes.io/pod-index": "0",
      "controller-revision-hash": "db-6b8f9c7d4",
      "statefulset.kubernetes.io/pod-name": "db-0"},
     [("postgres", [("postgres", 5432, "TCP")])], {}),
    ("shop", "db-migrate-28551840-5kq7w", 3, (99, 0x63),
     {"app": "db-migrate", "batch.kubernetes.io/job-name":
      "db-migrate-28551840", "job-name": "db-migrate-28551840"},
     [("migrate", [])], {"phase": "Succeeded"}),
    ("shop", "frontend-7c9f8d6b5-qm4tz", 2, (77, 0x4d),
     {"app": "frontend", "pod-template-hash": "7c9f8d6b5", "tier": "web"},
     [("frontend", [("http", 8080, "TCP"), ("https", 8443, "TCP")])], {}),
    ("shop", "frontend-7c9f8d6b5-zx8rp", 3, (90, 0x5a),
     {"app": "frontend", "pod-template-hash": "7c9f8d6b5", "tier": "web"},
     [("frontend", [("http", 8080, "TCP"), ("https", 8443, "TCP")])],
     {"ready": False}),
]


def pod_ips(fams, node_i, host):
    if host is None:
        return pick(fams, f"10.0.0.{node_i}", f"fd00:10::{node_i}")
    return pick(fams, f"10.244.{node_i}.{host[0]}",
                f"fd00:244:0:{node_i}::{host[1]:x}")


def pod(fams, row):
    ns, name, node_i, host, labels, containers, extra = row
    cs = []
    for cname, ports in containers:
        c = {"name": cname}
        if ports:
            c["ports"] = []
            for pname, num, proto in ports:
                p = {"containerPort": num, "name": pname}
                if proto:
                    p["protocol"] = proto
                c["ports"].append(p)
        cs.append(c)
    spec = {"containers": cs, "nodeName": "node-" + "abc"[node_i - 1]}
    if host is None:
        spec["hostNetwork"] = True
    ips = pod_ips(fams, node_i, host)
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels,
                     "uid": uid("Pod", ns, name)},
        "spec": spec,
        "status": {"phase": extra.get("phase", "Running"), "podIP": ips[0],
                   "podIPs": [{"ip": a} for a in ips]},
    }


def find_pod(name):
    for row in PODS:
        if row[1] == name:
            return row
    raise KeyError(name)


def services(fams):
    def sv(ns, name, labels, spec, annotations=None, status=None):
        s = {"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": name, "namespace": ns, "labels": labels},
             "spec": spec}
        if annotations:
            s["metadata"]["annotations"] = annotations
        if status:
            s["status"] = status
        return s

    def ips(v4, v6, only=None):
        f = fams[:only] if only else fams
        a = pick(f, v4, v6)
        return {"clusterIP": a[0], "clusterIPs": a, "ipFamilies": f}

    out = [
        sv("default", "kubernetes",
           {"component": "apiserver", "provider": "kubernetes"},
           {**ips("10.96.0.1", "fd00:96::1", only=1),
            "ports": [{"name": "https", "port": 443, "protocol": "TCP",
                       "targetPort": 6443}],
            "type": "ClusterIP"}),
        sv("default", "web", {"app": "web"},
           {**ips("10.96.100.10", "fd00:96::64:a"),
            "externalIPs": pick(fams, "203.0.113.100", "2001:db8:113::100"),
            "externalTrafficPolicy": "Local",
            "loadBalancerSourceRanges": pick(fams, "192.0.2.0/24",
                                             "2001:db8:1::/48"),
            "ports": [{"name": "http", "nodePort": 30080, "port": 80,
                       "protocol": "TCP", "targetPort": "http"}],
            "type": "LoadBalancer"},
           annotations={
               "description": "web <- office & lab (café – ünïcode)",
               "kube-router.io/service.advertise.clusterip": "true",
               "kube-router.io/service.advertise.externalip": "true",
               "kube-router.io/service.advertise.loadbalancerip": "true",
           },
           status={"loadBalancer": {"ingress": [
               {"ip": a} for a in pick(fams, "198.51.100.10",
                                       "2001:db8:100::10")] + [
               {"hostname": "web.lb.example.com"}]}}),
        sv("kube-system", "kube-dns",
           {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
            "kubernetes.io/name": "CoreDNS"},
           {**ips("10.96.0.10", "fd00:96::a"),
            "ports": [
                {"name": "dns", "port": 53, "protocol": "UDP",
                 "targetPort": 53},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP",
                 "targetPort": 53}]},
           annotations={"prometheus.io/port": "9153",
                        "prometheus.io/scrape": "true"}),
        sv("shop", "db", {"app": "db"},
           {"clusterIP": "None", "clusterIPs": ["None"],
            "ipFamilies": fams,
            "ports": [{"port": 5432, "protocol": "TCP", "targetPort": 5432}],
            "type": "ClusterIP"}),
        sv("shop", "frontend", {"app": "frontend"},
           {**ips("10.96.200.20", "fd00:96::c8:14"),
            "internalTrafficPolicy": "Local",
            "ports": [
                {"name": "http", "nodePort": 31080, "port": 80,
                 "protocol": "TCP", "targetPort": 8080},
                {"name": "https", "nodePort": 31443, "port": 443,
                 "protocol": "TCP", "targetPort": "https"}],
            "sessionAffinity": "ClientIP",
            "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 3600}},
            "type": "NodePort"}),
    ]
    return out


# service, slice name per family, ports, endpoints (pod, ready, serving,
# terminating; None for the API server's own endpoint)
SLICES = [
    ("default", "kubernetes", {V4: "kubernetes", V6: "kubernetes"},
     [("https", 6443, "TCP")], None),
    ("default", "web", {V4: "web-k8x2m", V6: "web-p4q7d"},
     [("http", 80, "TCP")],
     [("web-6d4cf56db6-4x9zq", True, True, False),
      ("web-6d4cf56db6-k2w8n", False, True, True),
      ("web-6d4cf56db6-r7m2k", True, True, False)]),
    ("kube-system", "kube-dns", {V4: "kube-dns-8jzbs", V6: "kube-dns-qn6tm"},
     [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")],
     [("coredns-5d78c9869d-x7k2p", True, True, False)]),
    ("shop", "db", {V4: "db-rm5nc", V6: "db-w7t2p"},
     [("", 5432, "TCP")],
     [("db-0", True, True, False)]),
    ("shop", "frontend", {V4: "frontend-2xk4f", V6: "frontend-hv9cd"},
     [("http", 8080, "TCP"), ("https", 8443, "TCP")],
     [("frontend-7c9f8d6b5-qm4tz", True, True, False),
      ("frontend-7c9f8d6b5-zx8rp", False, False, False)]),
]


def slices(fams, svcs):
    out = []
    labels_of = {(s["metadata"]["namespace"], s["metadata"]["name"]):
                 s["metadata"]["labels"] for s in svcs}
    for ns, svc, names, ports, eps in SLICES:
        sfams = fams[:1] if svc == "kubernetes" else fams
        for fam in sfams:
            if eps is None:
                labels = {"kubernetes.io/service-name": svc}
                endpoints = [{
                    "addresses": pick([fam], "10.0.0.1", "fd00:10::1"),
                    "conditions": {"ready": True}}]
            else:
                labels = {**labels_of[(ns, svc)],
                          "endpointslice.kubernetes.io/managed-by":
                              "endpointslice-controller.k8s.io",
                          "kubernetes.io/service-name": svc}
                endpoints = []
                for pname, ready, serving, term in eps:
                    row = find_pod(pname)
                    a = pod_ips([fam], row[2], row[3])
                    endpoints.append({
                        "addresses": a,
                        "conditions": {"ready": ready, "serving": serving,
                                       "terminating": term},
                        "nodeName": "node-" + "abc"[row[2] - 1]})
            out.append({
                "addressType": fam,
                "apiVersion": "discovery.k8s.io/v1",
                "endpoints": endpoints,
                "kind": "EndpointSlice",
                "metadata": {"labels": labels, "name": names[fam],
                             "namespace": ns},
                "ports": [{"name": n, "port": p, "protocol": pr}
                          for n, p, pr in ports],
            })
    return out


def policies(fams):
    def np(ns, name, spec):
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": name, "namespace": ns}, "spec": spec}

    def ipblocks(v4, v6):
        return [{"ipBlock": b} for b in pick(fams, v4, v6)]

    return [
        np("default", "allow-web", {
            "ingress": [
                {"from": ipblocks(
                    {"cidr": "192.0.2.0/24", "except": ["192.0.2.128/25"]},
                    {"cidr": "2001:db8::/32", "except": ["2001:db8:0:1::/64"]}),
                 "ports": [{"port": 80, "protocol": "TCP"}]},
                {"from": [
                    {"namespaceSelector": {"matchLabels": {
                        "kubernetes.io/metadata.name": "kube-system"}}},
                    {"namespaceSelector": {"matchLabels": {"team": "shop"}},
                     "podSelector": {"matchLabels": {"app": "frontend"}}}],
                 "ports": [{"port": "http", "protocol": "TCP"}]},
            ],
            "podSelector": {"matchLabels": {"app": "web"}},
            "policyTypes": ["Ingress"],
        }),
        np("default", "web-egress", {
            "egress": [
                {"ports": [{"port": 53, "protocol": "UDP"},
                           {"port": 53, "protocol": "TCP"}],
                 "to": [{"namespaceSelector": {"matchLabels": {
                     "kubernetes.io/metadata.name": "kube-system"}},
                     "podSelector": {"matchLabels": {
                         "k8s-app": "kube-dns"}}}]},
                {"ports": [{"port": 443, "protocol": "TCP"}],
                 "to": ipblocks({"cidr": "0.0.0.0/0",
                                 "except": ["10.0.0.0/8"]},
                                {"cidr": "::/0", "except": ["fd00::/8"]})},
            ],
            "podSelector": {"matchLabels": {"app": "web"}},
            "policyTypes": ["Egress"],
        }),
        np("shop", "db", {
            "ingress": [{
                "from": [{"podSelector": {"matchExpressions": [
                    {"key": "app", "operator": "In",
                     "values": ["frontend", "db-migrate"]},
                    {"key": "canary", "operator": "DoesNotExist"}]}}],
                "ports": [{"port": "postgres"}]}],
            "podSelector": {"matchExpressions": [
                {"key": "app", "operator": "In", "values": ["db"]}]},
        }),
        np("shop", "default-deny-ingress", {"policyTypes": ["Ingress"]}),
        np("shop", "frontend", {
            "egress": [
                {"ports": [{"port": 53, "protocol": "UDP"},
                           {"port": 53, "protocol": "TCP"}]},
                {"ports": [{"endPort": 32767, "port": 30000,
                            "protocol": "TCP"},
                           {"port": 3868, "protocol": "SCTP"}],
                 "to": [{"namespaceSelector": {"matchExpressions": [
                     {"key": "env", "operator": "NotIn",
                      "values": ["dev", "test"]},
                     {"key": "team", "operator": "Exists"}]}}]},
            ],
            "ingress": [{"ports": [{"port": 8080, "protocol": "TCP"},
                                   {"port": 8443, "protocol": "TCP"}]}],
            "podSelector": {"matchLabels": {"app": "frontend"}},
        }),
    ]


ORDER = ["Namespace", "Node", "Pod", "Service", "EndpointSlice",
         "NetworkPolicy"]


def sort_items(items):
    """kubectl's order: kinds as asked for, then namespace/name."""
    return sorted(items, key=lambda o: (
        ORDER.index(o["kind"]), o["metadata"].get("namespace") or "",
        o["metadata"]["name"]))


def cluster(fams):
    svcs = services(fams)
    items = (namespaces() + [node(fams, i) for i in (1, 2, 3)] +
             [pod(fams, r) for r in PODS] + svcs + slices(fams, svcs) +
             policies(fams))
    return lst(sort_items(items))


def lst(items):
    return {"apiVersion": "v1", "items": items, "kind": "List",
            "metadata": {"resourceVersion": ""}}


# ---- the full form: what kubectl prints ---------------------------------

T0 = "2024-05-02T09:14:31Z"
K8S = "v1.30.2"
IMAGES = {
    "kube-apiserver": "registry.k8s.io/kube-apiserver:" + K8S,
    "coredns": "registry.k8s.io/coredns/coredns:v1.11.1",
    "nginx": "docker.io/library/nginx:1.25.5",
    "postgres": "docker.io/library/postgres:16.3",
    "migrate": "registry.example.com/shop/migrate:2.4.1",
    "frontend": "registry.example.com/shop/frontend:2.4.1",
    "exporter": "quay.io/prometheus/node-exporter:v1.8.1",
}


def stamp(minute):
    return f"2024-05-02T{9 + minute // 60:02d}:{minute % 60:02d}:31Z"


def sha(*parts):
    """64 hex digits: a made-up digest or container ID."""
    h = uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)).hex
    return (h * 2)


def fields(obj, atomic=()):
    """A FieldsV1 set of obj, as the API server records it."""
    out = {}
    for k, v in obj.items():
        if isinstance(v, dict) and v and k not in atomic:
            out["f:" + k] = {".": {}, **fields(v, atomic)}
        elif isinstance(v, list) and v and k not in atomic:
            f = {".": {}}
            for e in v:
                if isinstance(e, dict):
                    key = {kk: e[kk] for kk in ("containerPort", "port",
                                                "protocol", "type", "ip",
                                                "name") if kk in e}
                    if "containerPort" in key or "port" in key:
                        key.pop("name", None)
                    f["k:" + json.dumps(key, separators=(",", ":"),
                                        sort_keys=True)] = {
                        ".": {}, **fields(e, atomic)}
                else:
                    f["v:" + json.dumps(e)] = {}
            out["f:" + k] = f
        else:
            out["f:" + k] = {}
    return out


def managed(manager, fv, op="Update", sub=None, minute=0):
    m = {"apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": fv,
         "manager": manager, "operation": op, "time": stamp(minute)}
    if sub:
        m["subresource"] = sub
    return m


class Full:
    def __init__(self):
        self.rv = 48000

    def meta(self, o, minute, mf):
        m = o["metadata"]
        self.rv += 17
        m["creationTimestamp"] = stamp(minute)
        m["resourceVersion"] = str(self.rv)
        m.setdefault("uid", uid(o["kind"], m.get("namespace", ""), m["name"]))
        for x in mf:
            x["time"] = max(x["time"], m["creationTimestamp"])
        m["managedFields"] = mf

    def namespace(self, o):
        name = o["metadata"]["name"]
        mf = [managed("kube-apiserver" if name != "shop" else "kubectl-create",
                      {"f:metadata": {"f:labels": {
                          ".": {}, **{"f:" + k: {}
                                      for k in o["metadata"]["labels"]}}}})]
        self.meta(o, 0 if name != "shop" else 12, mf)
        o["spec"] = {"finalizers": ["kubernetes"]}
        o["status"] = {"phase": "Active"}

    def node(self, o):
        m, spec, st = o["metadata"], o["spec"], o["status"]
        name = m["name"]
        mf = [
            managed("kubelet", {"f:metadata": {
                "f:labels": {".": {}, **{"f:" + k: {} for k in m["labels"]
                                         if "node-role" not in k}}}}),
            managed("kube-controller-manager", {
                "f:spec": {"f:podCIDR": {}, "f:podCIDRs": {
                    ".": {}, **{"v:" + json.dumps(c): {}
                                for c in spec["podCIDRs"]}}}}, minute=1),
            managed("kube-router", {"f:metadata": {"f:annotations": {
                "f:" + k: {} for k in m["annotations"]
                if k.startswith("kube-router.io/")}}}, minute=3),
            managed("kubelet", {"f:status": {
                "f:addresses": fields({"a": st["addresses"]})["f:a"],
                "f:allocatable": {}, "f:capacity": {},
                "f:conditions": {
                    'k:{"type":"DiskPressure"}': {"f:lastHeartbeatTime": {}},
                    'k:{"type":"Ready"}': {
                        "f:lastHeartbeatTime": {},
                        "f:lastTransitionTime": {}, "f:message": {},
                        "f:reason": {}, "f:status": {}}},
                "f:images": {}, "f:nodeInfo": {"f:bootID": {}}}},
                sub="status", minute=200),
        ]
        if spec.get("unschedulable"):
            mf.append(managed("kubectl-cordon", {"f:spec": {
                "f:unschedulable": {}}}, minute=150))
        self.meta(o, 0, mf)
        taints = []
        if "node-role.kubernetes.io/control-plane" in m["labels"]:
            taints.append({"effect": "NoSchedule",
                           "key": "node-role.kubernetes.io/control-plane"})
        if spec.get("unschedulable"):
            taints.append({"effect": "NoSchedule",
                           "key": "node.kubernetes.io/unschedulable",
                           "timeAdded": stamp(150)})
        if taints:
            spec["taints"] = taints
        res = {"cpu": "2", "ephemeral-storage": "31345644Ki",
               "hugepages-1Gi": "0", "hugepages-2Mi": "0",
               "memory": "4029852Ki", "pods": "110"}
        st["allocatable"] = {**res, "ephemeral-storage": "28888012157",
                             "memory": "3927452Ki"}
        st["capacity"] = res
        st["conditions"] = [
            {"lastHeartbeatTime": "2024-05-03T11:02:09Z",
             "lastTransitionTime": T0, "message": msg, "reason": reason,
             "status": status, "type": typ}
            for typ, status, reason, msg in [
                ("MemoryPressure", "False", "KubeletHasSufficientMemory",
                 "kubelet has sufficient memory available"),
                ("DiskPressure", "False", "KubeletHasNoDiskPressure",
                 "kubelet has no disk pressure"),
                ("PIDPressure", "False", "KubeletHasSufficientPID",
                 "kubelet has sufficient PID available"),
                ("Ready", "True", "KubeletReady",
                 "kubelet is posting ready status")]]
        st["daemonEndpoints"] = {"kubeletEndpoint": {"Port": 10250}}
        imgs = ["coredns", "nginx", "frontend", "exporter", "postgres"]
        if name == "node-a":
            imgs = ["kube-apiserver"] + imgs
        st["images"] = [
            {"names": [IMAGES[i].rsplit(":", 1)[0] + "@sha256:" +
                       sha("image", i), IMAGES[i]],
             "sizeBytes": 321520 + 1000003 * (len(i) * 7 % 60)}
            for i in imgs]
        st["nodeInfo"] = {
            "architecture": "amd64", "bootID": uid("boot", name),
            "containerRuntimeVersion": "containerd://1.6.20",
            "kernelVersion": "6.1.0-21-amd64", "kubeProxyVersion": K8S,
            "kubeletVersion": K8S,
            "machineID": uid("machine", name).replace("-", ""),
            "operatingSystem": "linux",
            "osImage": "Debian GNU/Linux 12 (bookworm)",
            "systemUUID": uid("system", name)}

    def pod(self, o, row):
        m, spec, st = o["metadata"], o["spec"], o["status"]
        ns, name, node_i, host, labels, containers, extra = row
        phase = st["phase"]
        ready = extra.get("ready", True) and phase == "Running"
        owner = None
        if "pod-template-hash" in labels:
            rs = name.rsplit("-", 1)[0]
            owner = ("apps/v1", "ReplicaSet", rs)
        elif "statefulset.kubernetes.io/pod-name" in labels:
            owner = ("apps/v1", "StatefulSet", name.rsplit("-", 1)[0])
        elif "job-name" in labels:
            owner = ("batch/v1", "Job", labels["job-name"])
        if owner:
            m["generateName"] = owner[2] + "-"
            m["ownerReferences"] = [{
                "apiVersion": owner[0], "blockOwnerDeletion": True,
                "controller": True, "kind": owner[1], "name": owner[2],
                "uid": uid(owner[1], ns, owner[2])}]
        else:
            m["annotations"] = {
                "kubeadm.kubernetes.io/kube-apiserver.advertise-address"
                ".endpoint": "10.0.0.1:6443",
                "kubernetes.io/config.hash": sha("hash", name)[:32],
                "kubernetes.io/config.source": "file"}
            m["ownerReferences"] = [{
                "apiVersion": "v1", "controller": True, "kind": "Node",
                "name": "node-a", "uid": uid("Node", "", "node-a")}]
        if extra.get("terminating"):
            m["deletionGracePeriodSeconds"] = 30
            m["deletionTimestamp"] = "2024-05-03T11:02:01Z"
        mf = [managed("kube-controller-manager", {
            "f:metadata": {"f:generateName": {}, "f:labels": {
                ".": {}, **{"f:" + k: {} for k in labels}}},
            "f:spec": fields({"containers": spec["containers"]})})]
        mf.append(managed("kubelet", {"f:status": {
            "f:conditions": {".": {}}, "f:containerStatuses": {},
            "f:hostIP": {}, "f:hostIPs": {}, "f:phase": {}, "f:podIP": {},
            "f:podIPs": fields({"a": st["podIPs"]})["f:a"],
            "f:startTime": {}}}, sub="status", minute=20))
        self.meta(o, 18, mf)
        crit = ns == "kube-system"
        for c in spec["containers"]:
            for p in c.get("ports", []):
                p.setdefault("protocol", "TCP")
            c["image"] = IMAGES[c["name"]]
            c["imagePullPolicy"] = "IfNotPresent"
            c["resources"] = ({"limits": {"memory": "170Mi"},
                               "requests": {"cpu": "100m",
                                            "memory": "70Mi"}}
                              if crit else {"requests": {"cpu": "50m"}})
            c["terminationMessagePath"] = "/dev/termination-log"
            c["terminationMessagePolicy"] = "File"
            if c.get("ports"):
                p = c["ports"][0]
                c["readinessProbe"] = {
                    "failureThreshold": 3, "periodSeconds": 10,
                    "successThreshold": 1, "timeoutSeconds": 1,
                    "tcpSocket": {"port": p["containerPort"]}}
        spec.update({
            "dnsPolicy": "ClusterFirst", "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 2000000000 if crit else 0,
            "restartPolicy": "OnFailure" if "job-name" in labels
            else "Always",
            "schedulerName": "default-scheduler", "securityContext": {},
            "serviceAccount": "default", "serviceAccountName": "default",
            "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {"effect": "NoExecute", "key": k, "operator": "Exists",
                 "tolerationSeconds": 300}
                for k in ("node.kubernetes.io/not-ready",
                          "node.kubernetes.io/unreachable")],
        })
        if crit:
            spec["priorityClassName"] = ("system-node-critical" if host is None
                                         else "system-cluster-critical")
        if host is None:
            spec["tolerations"] = [{"effect": "NoExecute",
                                    "operator": "Exists"}]
        hip = pod_ips(FAMS_DUAL, node_i, None)

        def cond(typ, ok, reason=None):
            c = {"lastProbeTime": None, "lastTransitionTime": stamp(19),
                 "status": "True" if ok else "False", "type": typ}
            if reason:
                c["reason"] = reason
            return c
        done = phase == "Succeeded"
        st["conditions"] = [
            cond("PodReadyToStartContainers", not done),
            cond("Initialized", True, "PodCompleted" if done else None),
            cond("Ready", ready, "PodCompleted" if done else
                 (None if ready else "ContainersNotReady")),
            cond("ContainersReady", ready, "PodCompleted" if done else
                 (None if ready else "ContainersNotReady")),
            cond("PodScheduled", True)]
        cs = []
        for c in spec["containers"]:
            s = {"containerID": "containerd://" + sha("ctr", name, c["name"]),
                 "image": c["image"],
                 "imageID": c["image"].rsplit(":", 1)[0] + "@sha256:" +
                 sha("image", c["name"]),
                 "lastState": {}, "name": c["name"], "ready": ready,
                 "restartCount": 0, "started": not done}
            if done:
                s["state"] = {"terminated": {
                    "containerID": s["containerID"], "exitCode": 0,
                    "finishedAt": stamp(21), "reason": "Completed",
                    "startedAt": stamp(20)}}
            else:
                s["state"] = {"running": {"startedAt": stamp(20)}}
            cs.append(s)
        st["containerStatuses"] = cs
        st["hostIP"] = hip[0]
        st["hostIPs"] = [{"ip": a} for a in hip]
        st["qosClass"] = "Burstable"
        st["startTime"] = stamp(19)

    def service(self, o):
        m, spec = o["metadata"], o["spec"]
        name = m["name"]
        typ = spec.setdefault("type", "ClusterIP")
        n = len(spec.get("ipFamilies", []))
        spec["ipFamilyPolicy"] = ("SingleStack" if n == 1 or
                                  name == "kubernetes" else
                                  "PreferDualStack")
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        if typ in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
        if typ == "LoadBalancer":
            spec["allocateLoadBalancerNodePorts"] = True
            if spec["externalTrafficPolicy"] == "Local":
                spec["healthCheckNodePort"] = 32410
        if name != "kubernetes":
            spec["selector"] = ({"k8s-app": "kube-dns"} if name == "kube-dns"
                                else {"app": name})
        for p in spec.get("ports", []):
            p.setdefault("protocol", "TCP")
            p.setdefault("targetPort", p["port"])
        st = o.setdefault("status", {})
        lb = st.setdefault("loadBalancer", {})
        for ing in lb.get("ingress", []):
            if "ip" in ing:
                ing["ipMode"] = "VIP"
        fv = fields({
            "metadata": {k: v for k, v in m.items()
                         if k in ("labels", "annotations")},
            "spec": {k: v for k, v in spec.items()
                     if k not in ("clusterIP", "clusterIPs")}},
            atomic=("ports", "selector"))
        for v in fv.values():
            v.pop(".", None)
        mf = [managed("kubectl-client-side-apply" if name != "kubernetes"
                      else "kube-apiserver", fv)]
        if lb.get("ingress"):
            mf.append(managed("metallb-controller", {"f:status": {
                "f:loadBalancer": {"f:ingress": {}}}}, sub="status",
                minute=16))
        self.meta(o, 0 if name == "kubernetes" else 15, mf)

    def slice(self, o, pods):
        m = o["metadata"]
        svc = m["labels"]["kubernetes.io/service-name"]
        ns = m["namespace"]
        if svc != "kubernetes":
            m["annotations"] = {"endpoints.kubernetes.io/last-change-"
                                "trigger-time": "2024-05-03T11:02:01Z"}
            m["generateName"] = svc + "-"
            m["ownerReferences"] = [{
                "apiVersion": "v1", "blockOwnerDeletion": True,
                "controller": True, "kind": "Service", "name": svc,
                "uid": uid("Service", ns, svc)}]
        m["generation"] = 3
        for e in o["endpoints"]:
            if "nodeName" not in e:
                continue
            p = next(p for p in pods if p["status"]["podIPs"] and any(
                ip["ip"] == e["addresses"][0]
                for ip in p["status"]["podIPs"]))
            e["targetRef"] = {"kind": "Pod", "name": p["metadata"]["name"],
                              "namespace": ns,
                              "uid": p["metadata"]["uid"]}
            e["zone"] = "zone-" + e["nodeName"][-1]
            if p["metadata"]["name"] == "db-0":
                e["hostname"] = "db-0"
        mf = [managed("endpointslice-controller.k8s.io" if svc != "kubernetes"
                      else "kube-apiserver", {
                          "f:addressType": {}, "f:endpoints": {},
                          "f:metadata": fields({k: v for k, v in m.items()
                                                if k in ("labels",
                                                         "annotations",
                                                         "generateName",
                                                         "ownerReferences")},
                                               atomic=("ownerReferences",)),
                          "f:ports": {}}, minute=21)]
        for x in mf:
            x["apiVersion"] = "discovery.k8s.io/v1"
        self.meta(o, 15, mf)

    def policy(self, o):
        m, spec = o["metadata"], o["spec"]
        applied = json.dumps({
            "apiVersion": o["apiVersion"], "kind": o["kind"],
            "metadata": {"annotations": {}, "name": m["name"],
                         "namespace": m["namespace"]},
            "spec": spec}, separators=(",", ":"), sort_keys=True) + "\n"
        m["annotations"] = {
            "kubectl.kubernetes.io/last-applied-configuration": applied}
        if m["name"] == "allow-web":
            m["annotations"]["description"] = (
                "web <- office & lab (café – ünïcode)")
        m["generation"] = 1
        spec.setdefault("podSelector", {})
        if not spec.get("policyTypes"):
            spec["policyTypes"] = ["Ingress"] + (
                ["Egress"] if spec.get("egress") else [])
        for key in ("ingress", "egress"):
            for r in spec.get(key, []):
                for p in r.get("ports", []):
                    p.setdefault("protocol", "TCP")
        mf = [managed("kubectl-client-side-apply", {
            "f:metadata": {"f:annotations": {
                ".": {}, **{"f:" + k: {} for k in m["annotations"]}}},
            "f:spec": {"f:" + k: {} for k in spec}}, minute=30)]
        mf[0]["apiVersion"] = "networking.k8s.io/v1"
        self.meta(o, 30, mf)


FAMS_DUAL = [V4, V6]


def full(slim):
    doc = copy.deepcopy(slim)
    f = Full()
    pods = [o for o in doc["items"] if o["kind"] == "Pod"]
    for o in doc["items"]:
        k = o["kind"]
        if k == "Namespace":
            f.namespace(o)
        elif k == "Node":
            f.node(o)
        elif k == "Pod":
            f.pod(o, find_pod(o["metadata"]["name"]))
        elif k == "Service":
            f.service(o)
        elif k == "EndpointSlice":
            f.slice(o, pods)
        elif k == "NetworkPolicy":
            f.policy(o)
    return doc


# ---- writing -------------------------------------------------------------

def compact(x, ind=0, used=0, width=100):
    """JSON text, 4-space indent and sorted keys as kubectl prints, but
    an object or array that fits on its line is written on one line."""
    one = json.dumps(x, sort_keys=True, ensure_ascii=False)
    if not isinstance(x, (dict, list)) or not x or \
            ind + used + len(one) + 1 <= width:
        return one
    pad = " " * (ind + 4)
    if isinstance(x, dict):
        parts = []
        for k in sorted(x):
            key = json.dumps(k, ensure_ascii=False) + ": "
            parts.append(pad + key + compact(x[k], ind + 4, len(key), width))
        return "{\n" + ",\n".join(parts) + "\n" + " " * ind + "}"
    parts = [pad + compact(v, ind + 4, 0, width) for v in x]
    return "[\n" + ",\n".join(parts) + "\n" + " " * ind + "]"


def text(doc, indent=4, go=False, slim=False):
    if slim:
        return compact(doc) + "\n"
    t = json.dumps(doc, indent=indent, sort_keys=True, ensure_ascii=False)
    if go:
        # Go's encoding/json (kubectl) escapes these inside strings; they
        # occur nowhere else in JSON text
        t = (t.replace("<", "\\u003c").replace(">", "\\u003e")
             .replace("&", "\\u0026"))
    return t + "\n"


WRITTEN = []


def write(rel, data):
    if not isinstance(data, str):
        data = text(data)
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(data)
    WRITTEN.append(rel)


def main_clusters():
    for fname, fams in [("ipv4", [V4]), ("ipv6", [V6]), ("dual", [V4, V6])]:
        write(f"cluster-{fname}.json", text(cluster(fams), slim=True))
    write("cluster-dual-full.json", text(full(cluster([V4, V6])), go=True))


# ---- invalid and probing snapshots --------------------------------------

DUAL = None


def dual():
    global DUAL
    if DUAL is None:
        DUAL = cluster([V4, V6])
    return DUAL


def find(doc, kind, name):
    for i, o in enumerate(doc["items"]):
        if isinstance(o, dict) and o.get("kind") == kind and \
                o["metadata"]["name"] == name:
            return i, o
    raise KeyError((kind, name))


WEB_POD = ("Pod", "web-6d4cf56db6-4x9zq")
DNS_POD = ("Pod", "coredns-5d78c9869d-x7k2p")
FE_POD = ("Pod", "frontend-7c9f8d6b5-qm4tz")
WEB_SVC = ("Service", "web")
DNS_SVC = ("Service", "kube-dns")
FE_SVC = ("Service", "frontend")
DB_SVC = ("Service", "db")
SLICE4 = ("EndpointSlice", "web-k8x2m")
SLICE6 = ("EndpointSlice", "web-p4q7d")
FE_SLICE = ("EndpointSlice", "frontend-2xk4f")
WEB_POL = ("NetworkPolicy", "allow-web")
EGR_POL = ("NetworkPolicy", "web-egress")
DB_POL = ("NetworkPolicy", "db")
FE_POL = ("NetworkPolicy", "frontend")
NODE_B = ("Node", "node-b")


def base(*extra):
    """The namespaces and nodes of the dual-stack cluster, and extra."""
    d = dual()
    items = [copy.deepcopy(o) for o in d["items"]
             if o["kind"] in ("Namespace", "Node")]
    items += [copy.deepcopy(find(d, k, n)[1]) for k, n in extra]
    return lst(sort_items(items))


SCHEMA = {}    # file -> (doc or text, path of the fault or None)
SEMANTIC = {}  # file -> doc
VALID = {}     # file -> doc or text


def schema(name, extra=(), target=None):
    """Decorator: fn(item) breaks one rule of item (the object under test:
    target, else extra[0], else node-b) and returns the fault's path in
    it."""
    def deco(fn):
        doc = base(*extra)
        k, n = target or (extra[0] if extra else NODE_B)
        i, it = find(doc, k, n)
        SCHEMA[name] = (doc, ["items", i] + fn(it))
        return fn
    return deco


def semantic(name, extra=()):
    def deco(fn):
        doc = base(*extra)
        fn(doc)
        SEMANTIC[name] = doc
        return fn
    return deco


def addr(it, typ, fam):
    """Index of the node address of that type and family."""
    for i, a in enumerate(it["status"]["addresses"]):
        if a["type"] == typ and (":" in a["address"]) == (fam == V6):
            return i
    raise KeyError(typ)


def set_addr(value, typ="InternalIP", fam=V4):
    def fn(it):
        i = addr(it, typ, fam)
        it["status"]["addresses"][i]["address"] = value
        return ["status", "addresses", i, "address"]
    return fn


def set_cidr(value, fam=V4, both=False):
    """Sets node-b's pod CIDR of fam (and spec.podCIDR with both)."""
    def fn(it):
        i = 0 if fam == V4 else 1
        it["spec"]["podCIDRs"][i] = value
        if both:
            it["spec"]["podCIDR"] = value
            return ["spec"]
        return ["spec", "podCIDRs", i]
    return fn


def at(path, value=None, delete=False):
    """Sets (or deletes) the field at path of the item under test."""
    def fn(it):
        o = it
        for p in path[:-1]:
            o = o[p]
        if delete:
            del o[path[-1]]
        else:
            o[path[-1]] = value
        return list(path)
    return fn


def long_name(n):
    """A DNS-1123 subdomain of exactly n characters (labels of 63)."""
    s = "".join("." if i % 64 == 63 else "abcdefghij"[i % 64 % 10]
                for i in range(n))
    return s[:-1] + "z" if s.endswith(".") else s


def reg(fn_list):
    for name, extra, fn in fn_list:
        schema(name, extra)(fn)


# -- nodes (kept from before, now on the richer node-b) --
reg([
    ("address-entry-not-object", (), lambda it: (
        it["status"]["addresses"].__setitem__(1, "fd00:10::2"),
        ["status", "addresses", 1])[1]),
    ("address-not-string", (), at(["status", "addresses", 0, "address"],
                                  167772162)),
    ("address-without-type", (), at(["status", "addresses", 0, "type"],
                                    delete=True)),
    ("addresses-not-array", (), at(["status", "addresses"],
                                   {"address": "10.0.0.2",
                                    "type": "InternalIP"})),
    ("internalip-bad-ipv4", (), set_addr("10.0.0.300")),
    ("internalip-bad-ipv6", (), set_addr("fd00:10::2::1", fam=V6)),
    ("internalip-hostname", (), set_addr("node-b.example.com")),
    ("internalip-ipv4-mapped", (), set_addr("::ffff:10.0.0.2", fam=V6)),
    ("internalip-link-local-ipv6", (), set_addr("fe80::2", fam=V6)),
    ("internalip-link-local", (), set_addr("169.254.0.2")),
    ("internalip-loopback-ipv6", (), set_addr("::1", fam=V6)),
    ("internalip-loopback", (), set_addr("127.0.0.1")),
    ("internalip-multicast-ipv6", (), set_addr("ff02::2", fam=V6)),
    ("internalip-unspecified-ipv6", (), set_addr("::", fam=V6)),
    ("internalip-unspecified", (), set_addr("0.0.0.0")),
    ("externalip-not-ip", (), set_addr("node-b.example.com", "ExternalIP")),
    ("externalip-link-local", (), set_addr("169.254.169.254", "ExternalIP")),
    ("externalip-ipv4-mapped", (), set_addr("::ffff:203.0.113.2",
                                            "ExternalIP", V6)),
    ("node-address-bad-type", (), at(["status", "addresses", 4, "type"],
                                     "LegacyHostIP")),
    ("node-name-invalid", (), at(["metadata", "name"], "Node_B")),
    ("node-name-not-string", (), at(["metadata", "name"], 42)),
    ("node-without-metadata", (), at(["metadata"], delete=True)),
    ("node-without-name", (), at(["metadata", "name"], delete=True)),
    ("node-unschedulable-not-bool", (), at(["spec", "unschedulable"],
                                           "true")),
    ("podcidr-bad-ipv6", (), set_cidr("fd00:244::2::/64", V6)),
    ("podcidr-bad-prefix-length", (), set_cidr("10.244.2.0/33")),
    ("podcidr-contains-link-local", (), set_cidr("169.0.0.0/8", both=True)),
    ("podcidr-default-route", (), set_cidr("0.0.0.0/0", both=True)),
    ("podcidr-ipv4-mapped", (), set_cidr("::ffff:10.244.2.0/120", V6)),
    ("podcidr-ipv4-too-long", (), set_cidr("10.244.2.0/31", both=True)),
    ("podcidr-ipv6-single-host", (), set_cidr("fd00:244:0:2::/128", V6)),
    ("podcidr-ipv6-too-short", (), set_cidr("fd00::/16", V6)),
    ("podcidr-ipv6-unspecified", (), set_cidr("::/64", V6)),
    ("podcidr-link-local-ipv6", (), set_cidr("fe80::/64", V6)),
    ("podcidr-loopback", (), set_cidr("127.0.0.0/24", both=True)),
    ("podcidr-multicast", (), set_cidr("224.1.0.0/16", both=True)),
    ("podcidr-no-length", (), at(["spec", "podCIDR"], "10.244.2.0")),
    ("podcidr-not-string", (), at(["spec", "podCIDR"],
                                  {"cidr": "10.244.2.0/24"})),
    ("podcidrs-entry-not-string", (), at(["spec", "podCIDRs", 1], 64)),
    ("podcidrs-not-array", (), at(["spec", "podCIDRs"], "10.244.2.0/24")),
    ("podcidrs-three", (), lambda it: (it["spec"]["podCIDRs"].append(
        "10.245.2.0/24"), ["spec", "podCIDRs"])[1]),
    ("podcidrs-two-ipv4", (), set_cidr("10.245.2.0/24", V6)),
    ("spec-not-object", (), at(["spec"], ["10.244.2.0/24"])),
    ("status-not-object", (), at(["status"], "Ready")),
])


@schema("addresses-too-many")
def _(it):
    a = it["status"]["addresses"]
    n = 0
    while len(a) < 65:
        n += 1
        a.append({"address": f"198.18.0.{n}", "type": "ExternalIP"})
    return ["status", "addresses"]


# -- metadata: names, namespaces, labels, annotations --
NS_SHOP = ("Namespace", "shop")
reg_t = [
    ("namespace-name-not-label", NS_SHOP, at(["metadata", "name"],
                                             "shop.prod")),
    ("namespace-name-too-long", NS_SHOP, at(["metadata", "name"],
                                            "shop-" + "x" * 58 + "z")),
    ("namespace-without-name", NS_SHOP, at(["metadata", "name"],
                                           delete=True)),
    ("label-key-invalid", NS_SHOP, lambda it: (
        it["metadata"]["labels"].__setitem__("team name", "shop"),
        ["metadata", "labels"])[1]),
    ("label-key-prefix-invalid", NS_SHOP, lambda it: (
        it["metadata"]["labels"].__setitem__("Example.com/team", "shop"),
        ["metadata", "labels"])[1]),
    ("label-key-prefix-too-long", NS_SHOP, lambda it: (
        it["metadata"]["labels"].__setitem__(long_name(254) + "/team",
                                             "shop"),
        ["metadata", "labels"])[1]),
    ("label-key-name-too-long", NS_SHOP, lambda it: (
        it["metadata"]["labels"].__setitem__(
            "example.com/t" + "e" * 62 + "m", "shop"),
        ["metadata", "labels"])[1]),
    ("label-key-empty-name", NS_SHOP, lambda it: (
        it["metadata"]["labels"].__setitem__("example.com/", "shop"),
        ["metadata", "labels"])[1]),
    ("labels-too-many", NS_SHOP, lambda it: (
        it["metadata"]["labels"].update(
            {f"example.com/l{i:03d}": "x"
             for i in range(257 - len(it["metadata"]["labels"]))}),
        ["metadata", "labels"])[1]),
]
for name, t, fn in reg_t:
    schema(name, target=t)(fn)
reg([
    ("label-value-invalid", (),
     at(["metadata", "labels", "topology.kubernetes.io/zone"], "zone b")),
    ("label-value-too-long", (WEB_POD,),
     at(["metadata", "labels", "app"], "w" + "e" * 62 + "b")),
    ("label-value-not-string", (WEB_SVC,),
     at(["metadata", "labels", "version"], 2)),
    ("labels-not-object", (WEB_POD,), at(["metadata", "labels"],
                                         ["app=web"])),
    ("slice-label-value-invalid", (SLICE4,),
     at(["metadata", "labels", "kubernetes.io/service-name"], "web-")),
    ("policy-label-key-invalid", (WEB_POL,),
     at(["metadata", "labels"], {"-tier": "web"})),
    ("annotation-key-invalid", (),
     lambda it: (it["metadata"]["annotations"].__setitem__(
         "kube-router.io/node asn", "64513"), ["metadata", "annotations"])[1]),
    ("annotation-value-not-string", (),
     at(["metadata", "annotations", "kube-router.io/node.asn"], 64513)),
    ("service-annotations-too-many", (WEB_SVC,), lambda it: (
        it["metadata"]["annotations"].update(
            {f"example.com/a{i:03d}": "x"
             for i in range(257 - len(it["metadata"]["annotations"]))}),
        ["metadata", "annotations"])[1]),
    ("service-annotation-value-too-long", (WEB_SVC,),
     at(["metadata", "annotations", "description"], "x" * 262145)),
])

# -- pods --
P = ["spec", "containers", 0, "ports", 0]
reg([
    ("pod-name-invalid", (WEB_POD,), at(["metadata", "name"],
                                        "web-6d4cf56db6_4x9zq")),
    ("pod-name-too-long", (WEB_POD,), at(["metadata", "name"],
                                         long_name(254))),
    ("pod-without-name", (WEB_POD,), at(["metadata", "name"], delete=True)),
    ("pod-namespace-invalid", (WEB_POD,), at(["metadata", "namespace"],
                                             "Default")),
    ("pod-uid-too-long", (WEB_POD,), at(["metadata", "uid"], "u" * 129)),
    ("pod-nodename-invalid", (WEB_POD,), at(["spec", "nodeName"], "Node-B")),
    ("pod-hostnetwork-not-bool", (WEB_POD,), at(["spec", "hostNetwork"],
                                                "false")),
    ("pod-containers-not-array", (WEB_POD,), at(["spec", "containers"],
                                                {"name": "nginx"})),
    ("pod-port-out-of-range", (WEB_POD,), at(P + ["containerPort"], 65536)),
    ("pod-port-zero", (WEB_POD,), at(P + ["containerPort"], 0)),
    ("pod-port-not-integer", (WEB_POD,), at(P + ["containerPort"], "80")),
    ("pod-port-without-containerport", (WEB_POD,),
     at(P + ["containerPort"], delete=True)),
    ("pod-port-bad-protocol", (WEB_POD,), at(P + ["protocol"], "tcp")),
    ("pod-port-name-too-long", (WEB_POD,), at(P + ["name"],
                                              "http-alternative")),
    ("pod-port-name-no-letter", (WEB_POD,), at(P + ["name"], "8080")),
    ("pod-port-name-uppercase", (WEB_POD,), at(P + ["name"], "HTTP")),
    ("pod-port-name-double-hyphen", (WEB_POD,), at(P + ["name"],
                                                   "http--alt")),
    ("pod-port-name-hyphen-at-end", (WEB_POD,), at(P + ["name"], "http-")),
    ("pod-bad-phase", (WEB_POD,), at(["status", "phase"], "running")),
    ("pod-podip-invalid", (WEB_POD,), at(["status", "podIP"],
                                         "10.244.2.256")),
    ("pod-podips-two-ipv4", (WEB_POD,), at(["status", "podIPs"], [
        {"ip": "10.244.2.48"}, {"ip": "10.244.2.49"}])),
    ("pod-podips-three", (WEB_POD,), lambda it: (
        it["status"]["podIPs"].append({"ip": "10.244.2.49"}),
        ["status", "podIPs"])[1]),
    ("pod-podips-entry-not-object", (WEB_POD,), at(["status", "podIPs"], [
        "10.244.2.48", "fd00:244:0:2::1c"])),
    ("pod-podips-entry-without-ip", (WEB_POD,),
     at(["status", "podIPs", 1, "ip"], delete=True)),
    ("pod-status-not-object", (WEB_POD,), at(["status"], "Running")),
])


@schema("pod-containers-too-many", (WEB_POD,))
def _(it):
    c = it["spec"]["containers"]
    for i in range(65 - len(c)):
        c.append({"name": f"sidecar-{i}"})
    return ["spec", "containers"]


@schema("pod-container-ports-too-many", (WEB_POD,))
def _(it):
    it["spec"]["containers"][0]["ports"] = [
        {"containerPort": 10000 + i} for i in range(1025)]
    return ["spec", "containers", 0, "ports"]


# -- services --
SP = ["spec", "ports", 0]
reg([
    ("service-name-starts-with-digit", (WEB_SVC,),
     at(["metadata", "name"], "1web")),
    ("service-name-with-dot", (WEB_SVC,), at(["metadata", "name"], "web.v2")),
    ("service-bad-type", (WEB_SVC,), at(["spec", "type"], "Loadbalancer")),
    ("service-clusterip-invalid", (WEB_SVC,), lambda it: (
        it["spec"].update(clusterIP="10.96.100.300"),
        it["spec"]["clusterIPs"].__setitem__(0, "10.96.100.300"),
        ["spec"])[2]),
    ("service-clusterips-none-with-ip", (DB_SVC,),
     at(["spec", "clusterIPs"], ["None", "fd00:96::64:a"])),
    ("service-clusterips-two-ipv4", (WEB_SVC,),
     at(["spec", "clusterIPs"], ["10.96.100.10", "10.96.100.11"])),
    ("service-clusterips-three", (WEB_SVC,), lambda it: (
        it["spec"]["clusterIPs"].append("10.96.100.11"),
        ["spec", "clusterIPs"])[1]),
    ("service-clusterip-not-of-ip-family", (WEB_SVC,), lambda it: (
        at(["spec", "ipFamilies"], ["IPv6"])(it), ["spec"])[1]),
    ("service-ipfamilies-bad", (WEB_SVC,), at(["spec", "ipFamilies", 1],
                                              "ipv6")),
    ("service-ipfamilies-repeat", (WEB_SVC,), at(["spec", "ipFamilies"],
                                                 ["IPv4", "IPv4"])),
    ("service-externalip-not-ip", (WEB_SVC,),
     at(["spec", "externalIPs", 0], "203.0.113.100/32")),
    ("service-externalips-too-many", (WEB_SVC,), at(
        ["spec", "externalIPs"], [f"203.0.113.{i}" for i in range(1, 66)])),
    ("service-lb-ingress-ip-invalid", (WEB_SVC,), at(
        ["status", "loadBalancer", "ingress", 0, "ip"], "web.lb.example.com")),
    ("service-lb-ingress-too-many", (WEB_SVC,), at(
        ["status", "loadBalancer", "ingress"],
        [{"ip": f"198.51.100.{i}"} for i in range(1, 66)])),
    ("service-source-range-not-cidr", (WEB_SVC,),
     at(["spec", "loadBalancerSourceRanges", 0], "192.0.2.0")),
    ("service-source-ranges-too-many", (WEB_SVC,), at(
        ["spec", "loadBalancerSourceRanges"],
        [f"192.0.{i // 256}.{i % 256}/32" for i in range(257)])),
    ("service-port-out-of-range", (WEB_SVC,), at(SP + ["port"], 65536)),
    ("service-port-without-port", (WEB_SVC,), at(SP + ["port"],
                                                 delete=True)),
    ("service-port-bad-protocol", (WEB_SVC,), at(SP + ["protocol"],
                                                 "HTTP")),
    ("service-port-name-invalid", (WEB_SVC,), at(SP + ["name"], "http_alt")),
    ("service-ports-unnamed", (FE_SVC,), at(["spec", "ports", 1, "name"],
                                            delete=True)),
    ("service-target-port-out-of-range", (WEB_SVC,),
     at(SP + ["targetPort"], 70000)),
    ("service-target-port-not-iana-name", (WEB_SVC,),
     at(SP + ["targetPort"], "HTTP")),
    ("service-target-port-number-as-string", (WEB_SVC,),
     at(SP + ["targetPort"], "8080")),
    ("service-node-port-out-of-range", (WEB_SVC,), at(SP + ["nodePort"],
                                                      65536)),
    ("service-bad-session-affinity", (FE_SVC,),
     at(["spec", "sessionAffinity"], "clientIP")),
    ("service-affinity-timeout-too-long", (FE_SVC,), at(
        ["spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds"],
        86401)),
    ("service-affinity-timeout-zero", (FE_SVC,), at(
        ["spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds"], 0)),
    ("service-bad-external-traffic-policy", (WEB_SVC,),
     at(["spec", "externalTrafficPolicy"], "Global")),
    ("service-bad-internal-traffic-policy", (FE_SVC,),
     at(["spec", "internalTrafficPolicy"], "local")),
])


@schema("service-ports-too-many", (DNS_SVC,))
def _(it):
    it["spec"]["ports"] = [
        {"name": f"p{i}", "port": 10000 + i, "protocol": "TCP"}
        for i in range(257)]
    return ["spec", "ports"]


# -- EndpointSlices --
E = ["endpoints", 0]
reg([
    ("slice-name-invalid", (SLICE4,), at(["metadata", "name"], "Web-k8x2m")),
    ("slice-without-address-type", (SLICE4,), at(["addressType"],
                                                 delete=True)),
    ("slice-bad-address-type", (SLICE4,), at(["addressType"], "ipv4")),
    ("slice-ipv6-address-in-ipv4-slice", (SLICE4,),
     at(E + ["addresses"], ["fd00:244:0:2::1c"])),
    ("slice-ipv4-address-in-ipv6-slice", (SLICE6,),
     at(E + ["addresses"], ["10.244.2.48"])),
    ("slice-address-not-ip", (SLICE4,), at(E + ["addresses"],
                                           ["10.244.2.48/32"])),
    ("slice-endpoint-without-addresses", (SLICE4,),
     at(E + ["addresses"], delete=True)),
    ("slice-endpoint-addresses-empty", (SLICE4,), at(E + ["addresses"], [])),
    ("slice-endpoint-addresses-too-many", (SLICE4,), at(
        E + ["addresses"], [f"10.244.2.{i}" for i in range(1, 102)])),
    ("slice-port-out-of-range", (SLICE4,), at(["ports", 0, "port"], 65536)),
    ("slice-port-name-invalid", (SLICE4,), at(["ports", 0, "name"], "HTTP")),
    ("slice-port-bad-protocol", (SLICE4,), at(["ports", 0, "protocol"],
                                              "tcp")),
    ("slice-ports-too-many", (SLICE4,), at(["ports"], [
        {"name": f"p{i}", "port": 10000 + i, "protocol": "TCP"}
        for i in range(101)])),
    ("slice-condition-not-bool", (SLICE4,),
     at(E + ["conditions", "ready"], "true")),
    ("slice-nodename-invalid", (SLICE4,), at(E + ["nodeName"], "Node-B")),
])


@schema("slice-fqdn-address-invalid", (SLICE4,))
def _(it):
    it["addressType"] = "FQDN"
    names = ["web-1.example.com", "web_2.example.com", "web-3.example.com"]
    for e, n in zip(it["endpoints"], names):
        e["addresses"] = [n]
    return ["endpoints", 1, "addresses", 0]


@schema("slice-endpoints-too-many", (SLICE4,))
def _(it):
    it["endpoints"] = [{"addresses": [f"10.244.{2 + i // 250}.{i % 250 + 1}"]}
                       for i in range(1001)]
    return ["endpoints"]


# -- NetworkPolicies and selectors --
IN0 = ["spec", "ingress", 0]
IN1 = ["spec", "ingress", 1]
PS = ["spec", "podSelector"]
X = ["spec", "ingress", 0, "from", 0, "podSelector", "matchExpressions", 0]
reg([
    ("policy-name-invalid", (WEB_POL,), at(["metadata", "name"],
                                           "Allow-Web")),
    ("policy-peer-empty", (WEB_POL,), at(IN1 + ["from", 0], {})),
    ("policy-peer-ipblock-with-selector", (WEB_POL,),
     at(IN0 + ["from", 0, "podSelector"], {"matchLabels": {"app": "web"}})),
    ("policy-peer-ipblock-with-namespace-selector", (WEB_POL,),
     at(IN0 + ["from", 1, "namespaceSelector"], {})),
    ("policy-bad-policy-type", (WEB_POL,), at(["spec", "policyTypes"],
                                              ["ingress"])),
    ("policy-policy-types-repeat", (WEB_POL,), at(
        ["spec", "policyTypes"], ["Ingress", "Ingress"])),
    ("policy-ipblock-without-cidr", (WEB_POL,),
     at(IN0 + ["from", 0, "ipBlock", "cidr"], delete=True)),
    ("policy-ipblock-cidr-not-cidr", (WEB_POL,),
     at(IN0 + ["from", 0, "ipBlock", "cidr"], "192.0.2.0")),
    ("policy-except-other-family", (WEB_POL,),
     at(IN0 + ["from", 0, "ipBlock", "except"], ["2001:db8::/64"])),
    ("policy-excepts-too-many", (WEB_POL,), at(
        IN0 + ["from", 0, "ipBlock", "except"],
        [f"192.0.2.{i}/32" for i in range(256)] + ["192.0.2.0/25"])),
    ("policy-port-out-of-range", (WEB_POL,), at(IN0 + ["ports", 0, "port"],
                                                65536)),
    ("policy-port-not-iana-name", (WEB_POL,), at(IN1 + ["ports", 0, "port"],
                                                 "HTTP")),
    ("policy-port-bad-protocol", (WEB_POL,), at(
        IN0 + ["ports", 0, "protocol"], "ICMP")),
    ("policy-endport-with-named-port", (WEB_POL,), lambda it: (
        at(IN1 + ["ports", 0, "endPort"], 90)(it), IN1 + ["ports", 0])[1]),
    ("policy-endport-without-port", (FE_POL,),
     at(["spec", "egress", 1, "ports", 0, "port"], delete=True)),
    ("policy-endport-out-of-range", (FE_POL,),
     at(["spec", "egress", 1, "ports", 0, "endPort"], 65536)),
    ("policy-ingress-rules-too-many", (WEB_POL,),
     at(["spec", "ingress"], [{}] * 1025)),
    ("policy-egress-rules-too-many", (EGR_POL,),
     at(["spec", "egress"], [{}] * 1025)),
    ("policy-peers-too-many", (WEB_POL,),
     at(IN1 + ["from"], [{"podSelector": {}}] * 1025)),
    ("policy-podselector-not-object", (WEB_POL,), at(PS, "app=web")),
    ("selector-in-without-values", (DB_POL,), at(X + ["values"],
                                                 delete=True)),
    ("selector-in-empty-values", (DB_POL,), at(X + ["values"], [])),
    ("selector-notin-without-values", (FE_POL,), at(
        ["spec", "egress", 1, "to", 0, "namespaceSelector",
         "matchExpressions", 0, "values"], delete=True)),
    ("selector-exists-with-values", (FE_POL,), at(
        ["spec", "egress", 1, "to", 0, "namespaceSelector",
         "matchExpressions", 1, "values"], ["shop"])),
    ("selector-doesnotexist-with-values", (DB_POL,), at(
        X[:-1] + [1, "values"], ["true"])),
    ("selector-bad-operator", (DB_POL,), at(X + ["operator"], "in")),
    ("selector-expression-without-key", (DB_POL,), at(X + ["key"],
                                                      delete=True)),
    ("selector-expression-without-operator", (DB_POL,),
     at(X + ["operator"], delete=True)),
    ("selector-key-invalid", (DB_POL,), at(X + ["key"], "app name")),
    ("selector-value-invalid", (DB_POL,), at(X + ["values", 0],
                                             "front end")),
    ("selector-values-too-many", (DB_POL,), at(X + ["values"], [
        f"v{i}" for i in range(257)])),
    ("selector-expressions-too-many", (DB_POL,), at(
        PS + ["matchExpressions"],
        [{"key": f"k{i}", "operator": "Exists"} for i in range(65)])),
    ("selector-matchlabels-key-invalid", (WEB_POL,),
     at(PS + ["matchLabels"], {"-app": "web"})),
    ("selector-matchlabels-value-invalid", (WEB_POL,),
     at(PS + ["matchLabels"], {"app": "web server"})),
    ("selector-matchlabels-not-object", (WEB_POL,),
     at(PS + ["matchLabels"], ["app=web"])),
])


# -- the file as a whole (kept from before) --
def text_cases():
    doc = base(WEB_POD)
    t = text(doc, slim=True)
    lines = t.split("\n")
    out = {}
    out["empty-file"] = ""
    cut = next(i for i, ln in enumerate(lines)
               if ln == '            "kind": "Pod",') - 3
    out["truncated"] = "\n".join(lines[:cut + 1])
    assert out["truncated"].endswith("},")
    a = '"type": "Hostname"}'
    assert a in t
    out["trailing-comma"] = t.replace(a, '"type": "Hostname",}', 1)
    a = '"podCIDR": "10.244.2.0/24"'
    assert a in t
    out["single-quotes"] = t.replace(a, "\"podCIDR\": '10.244.2.0/24'")
    a = '"metadata": {"resourceVersion": ""}'
    assert a in t
    out["bad-literal"] = t.replace(a, '"metadata": {"resourceVersion": nul}')
    out["trailing-garbage"] = t + '{"kind": "List"}\n'
    docs = {}
    docs["top-level-array"] = doc["items"]
    docs["not-a-list"] = find(doc, "Node", "node-a")[1]
    d = copy.deepcopy(doc)
    d["kind"] = "NodeList"
    docs["kind-not-list"] = d
    d = copy.deepcopy(doc)
    del d["items"]
    docs["missing-items"] = d
    d = copy.deepcopy(doc)
    d["items"] = {"kind": "Node"}
    docs["items-not-array"] = d
    d = copy.deepcopy(doc)
    d["items"] = []
    docs["empty-list"] = d
    d = copy.deepcopy(doc)
    d["items"] = [o for o in d["items"] if o["kind"] != "Node"]
    docs["no-nodes"] = d
    d = copy.deepcopy(doc)
    d["items"].insert(3, "Node/node-x")
    docs["item-not-object"] = d
    d = copy.deepcopy(doc)
    del find(d, *WEB_POD)[1]["kind"]
    docs["item-without-kind"] = d
    d = copy.deepcopy(doc)
    d["items"][0]["kind"] = 1
    docs["kind-not-string"] = d
    for k, v in docs.items():
        out[k] = text(v, slim=True)
    return out


for k, v in text_cases().items():
    SCHEMA[k] = (v, None)


# -- semantic: valid for the schema, refused by snapnet --
def node_b(doc):
    return find(doc, "Node", "node-b")[1]


def sem_node(name, fn):
    semantic(name)(lambda doc: fn(node_b(doc)))


sem_node("duplicate-internalip-ipv4", set_addr("10.0.0.1"))
sem_node("duplicate-internalip-ipv6", set_addr("fd00:10::3", fam=V6))
sem_node("duplicate-pod-cidr", set_cidr("10.244.1.0/24", both=True))
sem_node("host-bits-set-ipv4", set_cidr("10.244.2.1/24"))
sem_node("host-bits-set-ipv6", set_cidr("fd00:244:0:2::1/64", V6))
sem_node("overlapping-pod-cidr", set_cidr("fd00:244::/48", V6))
sem_node("podcidr-contains-internalip-ipv6", set_cidr("fd00:10::/64", V6))
sem_node("podcidr-contains-internalip", set_cidr("10.0.0.0/24", both=True))
sem_node("podcidr-differs", at(["spec", "podCIDR"], "10.244.9.0/24"))
sem_node("podcidr-overlaps-ipv4-mapped", set_cidr("::fff0:0:0/92", V6))


@semantic("duplicate-node-name")
def _(doc):
    find(doc, "Node", "node-c")[1]["metadata"]["name"] = "node-a"
    doc["items"] = sort_items(doc["items"])


def duplicate(kind_name, change, name):
    @semantic(name, (kind_name,))
    def _(doc):
        o = copy.deepcopy(find(doc, *kind_name)[1])
        change(o)
        doc["items"] = sort_items(doc["items"] + [o])


def pod_copy(o):
    o["metadata"]["uid"] = uid("copy")
    o["spec"]["nodeName"] = "node-c"
    o["status"]["podIP"] = "10.244.3.48"
    o["status"]["podIPs"] = [{"ip": "10.244.3.48"}, {"ip": "fd00:244:0:3::30"}]


def pod_copy_no_ns(o):
    pod_copy(o)
    del o["metadata"]["namespace"]


duplicate(NS_SHOP, lambda o: o["metadata"]["labels"].update(env="dev"),
          "duplicate-namespace")
duplicate(WEB_POD, pod_copy, "duplicate-pod")
duplicate(WEB_POD, pod_copy_no_ns, "duplicate-pod-namespace-defaulted")
duplicate(WEB_SVC, lambda o: o["spec"].update(type="ClusterIP"),
          "duplicate-service")
duplicate(SLICE4, lambda o: o["endpoints"].pop(), "duplicate-endpointslice")
duplicate(WEB_POL, lambda o: o["spec"].pop("ingress"),
          "duplicate-networkpolicy")


@semantic("pod-podip-differs", (WEB_POD,))
def _(doc):
    find(doc, *WEB_POD)[1]["status"]["podIP"] = "10.244.2.49"


@semantic("pod-ports-too-many-in-all", (WEB_POD,))
def _(doc):
    cs = find(doc, *WEB_POD)[1]["spec"]["containers"]
    cs[0]["ports"] = [{"containerPort": 10000 + i} for i in range(600)]
    cs.append({"name": "sidecar", "ports": [{"containerPort": 20000 + i}
                                            for i in range(425)]})


@semantic("service-clusterip-differs", (WEB_SVC,))
def _(doc):
    find(doc, *WEB_SVC)[1]["spec"]["clusterIP"] = "10.96.100.11"


@semantic("service-port-names-duplicate", (FE_SVC,))
def _(doc):
    find(doc, *FE_SVC)[1]["spec"]["ports"][1]["name"] = "http"


@semantic("service-annotations-too-large", (WEB_SVC,))
def _(doc):
    a = find(doc, *WEB_SVC)[1]["metadata"]["annotations"]
    a["example.com/blob-1"] = "x" * 131072
    a["example.com/blob-2"] = "y" * 131072


def policy_sem(name, path, value, pol=WEB_POL):
    @semantic(name, (pol,))
    def _(doc):
        at(path, value)(find(doc, *pol)[1])


policy_sem("policy-except-outside-cidr",
           IN0 + ["from", 0, "ipBlock", "except"], ["198.51.100.0/25"])
policy_sem("policy-except-outside-cidr-ipv6",
           IN0 + ["from", 1, "ipBlock", "except"], ["2001:db9::/64"])
policy_sem("policy-except-not-longer",
           IN0 + ["from", 0, "ipBlock", "except"], ["192.0.2.0/24"])
policy_sem("policy-except-equal-after-masking",
           IN0 + ["from", 0, "ipBlock", "except"], ["192.0.2.77/24"])
policy_sem("policy-endport-below-port",
           ["spec", "egress", 1, "ports", 0, "endPort"], 29999, FE_POL)


@semantic("nesting-too-deep")
def _(doc):
    deep = []
    for _ in range(70):
        deep = [deep]
    doc["items"].append({"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": "deep",
                                      "namespace": "default"},
                         "spec": {"nested": deep}})


# -- valid snapshots that probe one reading each --
def valid_cases():
    # every optional field JSON null
    doc = base()
    doc["items"] += [
        {"apiVersion": "v1", "kind": "Namespace",
         "metadata": {"name": "empty", "labels": None}},
        {"apiVersion": "v1", "kind": "Node",
         "metadata": {"name": "node-d", "labels": None,
                      "annotations": None},
         "spec": {"podCIDR": None, "podCIDRs": None, "unschedulable": None},
         "status": {"addresses": None}},
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-e"},
         "spec": None, "status": None},
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "nulls", "namespace": None, "labels": None,
                      "uid": None},
         "spec": {"nodeName": None, "hostNetwork": None, "containers": [
             {"name": "c", "ports": None},
             {"name": "d", "ports": [{"containerPort": 80, "name": None,
                                      "protocol": None}]}]},
         "status": {"phase": None, "podIP": None, "podIPs": None}},
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "nulls-2", "namespace": "default"},
         "spec": {"containers": None}, "status": None},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "nulls", "namespace": "default",
                      "labels": None, "annotations": None},
         "spec": {"type": None, "clusterIP": None, "clusterIPs": None,
                  "ipFamilies": None, "externalIPs": None,
                  "loadBalancerSourceRanges": None,
                  "ports": [{"name": None, "protocol": None, "port": 80,
                             "targetPort": None, "nodePort": None}],
                  "sessionAffinity": None,
                  "sessionAffinityConfig": {"clientIP": {
                      "timeoutSeconds": None}},
                  "externalTrafficPolicy": None,
                  "internalTrafficPolicy": None},
         "status": {"loadBalancer": {"ingress": None}}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "nulls-2", "namespace": "default"},
         "spec": {"ports": None, "sessionAffinityConfig": {"clientIP": None}},
         "status": {"loadBalancer": None}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "nulls-3", "namespace": "default"},
         "spec": None, "status": None},
        {"addressType": "IPv4", "apiVersion": "discovery.k8s.io/v1",
         "kind": "EndpointSlice",
         "metadata": {"name": "nulls", "namespace": "default",
                      "labels": None},
         "ports": [{"name": None, "port": None, "protocol": None}],
         "endpoints": [{"addresses": ["10.244.1.9"], "conditions": {
             "ready": None, "serving": None, "terminating": None},
             "nodeName": None},
             {"addresses": ["10.244.1.10"], "conditions": None}]},
        {"addressType": "IPv6", "apiVersion": "discovery.k8s.io/v1",
         "kind": "EndpointSlice",
         "metadata": {"name": "nulls-2", "namespace": "default"},
         "ports": None, "endpoints": None},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "nulls", "namespace": "default",
                      "labels": None},
         "spec": {"podSelector": None, "policyTypes": None,
                  "ingress": [{"from": None, "ports": None},
                              {"from": [{"podSelector": {
                                  "matchLabels": None,
                                  "matchExpressions": None},
                                  "namespaceSelector": None,
                                  "ipBlock": None},
                                  {"ipBlock": {"cidr": "10.0.0.0/8",
                                               "except": None},
                                   "podSelector": None,
                                   "namespaceSelector": None}],
                               "ports": [{"protocol": None, "port": None,
                                          "endPort": None}]}],
                  "egress": None}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "nulls-2", "namespace": "default"},
         "spec": {"podSelector": {"matchExpressions": [
             {"key": "a", "operator": "Exists", "values": None},
             {"key": "b", "operator": "DoesNotExist", "values": []}]}}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "nulls-3", "namespace": "default"},
         "spec": None},
    ]
    doc["items"] = sort_items(doc["items"])
    VALID["nulls"] = doc

    # the bounds themselves
    doc = base()
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": "n" + "s" * 61 + "1",
        "labels": {**{f"example.com/l{i:03d}": "" for i in range(254)},
                   long_name(253) + "/" + "N" + "a" * 61 + "9":
                   "V" + "-_." * 20 + "-v",
                   "x": "y"}}}
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": long_name(253), "annotations": {
                **{f"example.com/a{i:03d}": "" for i in range(255)},
                "kube-router.io/node.asn": "4294967294"}},
            "spec": {"podCIDRs": ["10.96.0.0/8", "fd01::/32"]},
            "status": {"addresses": [
                {"address": "10.0.0.9", "type": "InternalIP"}] + [
                {"address": f"198.18.1.{i}", "type": "ExternalIP"}
                for i in range(1, 63)] + [
                {"address": "fd00:10::9", "type": "InternalIP"}]}}
    node["spec"]["podCIDRs"][0] = "11.0.0.0/8"
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": long_name(253), "namespace": "default",
                        "uid": "u" * 128},
           "spec": {"nodeName": long_name(253), "containers": [
               {"name": f"c{i}", "ports": [
                   {"containerPort": 1, "name": "a23456789012345"},
                   {"containerPort": 65535, "name": "9-a",
                    "protocol": "SCTP"}] if i == 0 else []}
               for i in range(64)]},
           "status": {"phase": "Unknown", "podIPs": [{"ip": "fd00::1"},
                                                     {"ip": "10.1.1.1"}]}}
    svc = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "s" + "-" * 61 + "9", "namespace": "default"},
           "spec": {"type": "LoadBalancer",
                    "clusterIP": "fd00:96::99",
                    "clusterIPs": ["fd00:96::99", "10.96.0.99"],
                    "ipFamilies": ["IPv6", "IPv4"],
                    "externalIPs": [f"203.0.113.{i}" for i in range(64)],
                    "loadBalancerSourceRanges": ["0.0.0.0/0", "::/0",
                                                 "10.1.2.3/8",
                                                 "fd00::1/128"],
                    "ports": [{"name": "a", "port": 1, "targetPort": 65535,
                               "nodePort": 0},
                              {"name": "b", "port": 65535,
                               "targetPort": "a23456789012345",
                               "nodePort": 65535}],
                    "sessionAffinity": "ClientIP",
                    "sessionAffinityConfig": {"clientIP": {
                        "timeoutSeconds": 86400}}},
           "status": {"loadBalancer": {"ingress": [
               {"hostname": "lb.example.com"}] + [
               {"ip": f"198.51.100.{i}"} for i in range(63)]}}}
    ext = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "external", "namespace": "default"},
           "spec": {"type": "ExternalName", "clusterIP": "",
                    "externalName": "db.example.com",
                    "ports": [{"port": 5432, "protocol": "TCP"}]}}
    svc1 = {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "one", "namespace": "default"},
            "spec": {"clusterIP": "fd00:96::1",
                     "ipFamilies": ["IPv6"],
                     "ports": [{"port": 80}],
                     "sessionAffinityConfig": {"clientIP": {
                         "timeoutSeconds": 1}}}}
    fqdn = {"addressType": "FQDN", "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": long_name(253), "namespace": "default",
                         "labels": {"kubernetes.io/service-name": "gone"}},
            "ports": [{"name": "", "port": 1}, {"name": "p" * 63},
                      {"port": 65535, "protocol": "UDP"}],
            "endpoints": [{"addresses": [long_name(253)]},
                          {"addresses": [f"a{i}.example.com"
                                         for i in range(100)]}]}
    pol = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": long_name(253), "namespace": "default"},
           "spec": {"podSelector": {"matchExpressions": [
               {"key": f"k{i}", "operator": "In",
                "values": [f"v{j}" for j in range(256 if i == 0 else 1)]}
               for i in range(64)]},
               "policyTypes": ["Egress", "Ingress"],
               "ingress": [{}],
               "egress": [{"to": [{"ipBlock": {
                   "cidr": "10.0.0.0/8",
                   "except": [f"10.{i}.0.0/16" for i in range(256)]}}],
                   "ports": [{"port": 1, "endPort": 65535},
                             {"port": 65535, "endPort": 65535},
                             {"protocol": "UDP"},
                             {"port": "a23456789012345"}]}]}}
    doc["items"] = sort_items(doc["items"] + [ns, node, pod, svc, svc1, ext,
                                              fqdn, pol])
    VALID["limits"] = doc

    # accepted by the API, not realisable here: not errors of the snapshot
    d4 = cluster([V4])
    doc = {**d4, "items": [copy.deepcopy(o) for o in d4["items"]
                           if o["kind"] in ("Namespace", "Node")]}
    n = find(doc, "Node", "node-b")[1]
    n["status"]["addresses"].append({"address": "2001:db8:113::2",
                                     "type": "ExternalIP"})
    doc["items"] += [
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "orphan", "namespace": "gone"},
         "spec": {"nodeName": "node-x"},
         "status": {"phase": "Running", "podIP": "10.244.9.5",
                    "podIPs": [{"ip": "10.244.9.5"}]}},
        {"addressType": "IPv6", "apiVersion": "discovery.k8s.io/v1",
         "kind": "EndpointSlice",
         "metadata": {"name": "gone-x2k9p", "namespace": "default",
                      "labels": {"kubernetes.io/service-name": "gone"}},
         "endpoints": [{"addresses": ["fd00:244:0:1::5"],
                        "nodeName": "node-x"}]},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "v6-only", "namespace": "default"},
         "spec": {"clusterIP": "fd00:96::5", "clusterIPs": ["fd00:96::5"],
                  "ipFamilies": ["IPv6"], "ports": [{"port": 80}]}},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "not-read", "namespace": "default"},
         "data": {"x": "y"}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "v6-block", "namespace": "default"},
         "spec": {"ingress": [{"from": [{"ipBlock": {
             "cidr": "2001:db8::/32"}}]}]}},
    ]
    VALID["not-realisable"] = doc

    # the API lower-cases an annotation key before it checks it
    doc = base()
    find(doc, *NODE_B)[1]["metadata"]["annotations"]["Example.COM/owner"] = \
        "team-a"
    VALID["annotation-key-uppercase-prefix"] = doc

    # "" is the API's zero value of these strings: unset, not invalid
    doc = base(WEB_POD, WEB_SVC)
    pod = find(doc, *WEB_POD)[1]
    pod["spec"]["containers"][0]["ports"][0]["name"] = ""
    pod["spec"]["nodeName"] = ""
    pod["status"]["podIP"] = ""
    pod["status"].pop("podIPs", None)
    svc = find(doc, *WEB_SVC)[1]
    svc["spec"]["ports"] = svc["spec"]["ports"][:1]
    svc["spec"]["ports"][0]["name"] = ""
    VALID["empty-strings-unset"] = doc

    # a key given twice: the last one wins; keeping node-b's first podCIDR
    # would break podCIDR = podCIDRs[0], and its first pod label is valid
    doc = base(WEB_POD)
    t = text(doc, slim=True)
    a = '"podCIDR": "10.244.2.0/24"'
    assert a in t
    VALID["duplicate-keys-last-wins"] = t.replace(
        a, '"podCIDR": "10.244.9.0/24", ' + a, 1).replace(
        '"labels": {"app": "web", ',
        '"labels": {"app": "db", "app": "web", ', 1)
    # ... but every value must be valid: the schema sees only the last
    SEMANTIC["duplicate-key-earlier-invalid"] = t.replace(
        a, '"podCIDR": "bogus", ' + a, 1)

valid_cases()


def main_invalid():
    for name, (doc, _) in sorted(SCHEMA.items()):
        write(f"invalid/schema/{name}.json",
              doc if isinstance(doc, str) else text(doc, slim=True))
    for name, doc in sorted(SEMANTIC.items()):
        write(f"invalid/semantic/{name}.json",
              doc if isinstance(doc, str) else text(doc, indent=2)
              if name == "nesting-too-deep" else text(doc, slim=True))
    for name, doc in sorted(VALID.items()):
        write(f"valid/{name}.json",
              doc if isinstance(doc, str) else text(doc, slim=True))


def check():
    """With --check: every invalid/schema document fails at its fault
    only, every other one is schema-valid (needs python3-jsonschema)."""
    from jsonschema import Draft202012Validator
    with open(os.path.join(HERE, "..", "schemas", "snapshot.schema.json"),
              encoding="utf-8") as f:
        v = Draft202012Validator(
            json.load(f), format_checker=Draft202012Validator.FORMAT_CHECKER)
    bad = 0
    for name, (doc, path) in sorted(SCHEMA.items()):
        if path is None:
            continue
        errs = list(v.iter_errors(doc))
        stray = [e for e in errs
                 if list(e.absolute_path)[:len(path)] != path
                 and path[:len(e.absolute_path)] != list(e.absolute_path)]
        if not errs or stray:
            bad += 1
            print(f"{name}: want a fault at {path}, got "
                  f"{[(list(e.absolute_path), e.message[:80]) for e in errs]}")
    for name, doc in [(f"cluster-{n}", cluster(f)) for n, f in
                      [("ipv4", [V4]), ("ipv6", [V6]), ("dual", [V4, V6])]] \
            + [("cluster-dual-full", full(cluster([V4, V6])))] \
            + sorted(SEMANTIC.items()) + sorted(VALID.items()):
        if isinstance(doc, str):
            doc = json.loads(doc)
        for e in v.iter_errors(doc):
            bad += 1
            print(f"{name}: {list(e.absolute_path)}: {e.message[:120]}")
    print(f"check: {len(SCHEMA)} schema, {len(SEMANTIC)} semantic, "
          f"{len(VALID)} valid; {bad} problems")
    return 1 if bad else 0


def main(argv):
    if "--check" in argv:
        return check()
    main_clusters()
    main_invalid()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
