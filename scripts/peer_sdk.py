#!/usr/bin/env python3
"""The peer: the tcss-report job written the obvious way with the official Tencent Cloud Python SDK.

Reads an accounts config as written by `tcss-report sim --generate --write-config`
(accounts with inline `secret_id`/`secret_key`, or `role_arn` + `source_account`),
then, in a ThreadPoolExecutor of --concurrency threads, one task per (account, region):

- for a role account, STS AssumeRole with the source account's keys, once per
  account (the first of its tasks assumes, the others wait for that result);
- DescribeImageAuthorizedInfo in the region with the right credentials.

The SDK's own StandardRetryer (5 attempts) retries network errors and throttling;
there is no client-side rate limiting (whether the server throttled shows in the
simulator's counters). Writes one CSV row per (account, region) and prints a
one-line JSON summary. Used by scripts/bench.py; needs tencentcloud-sdk-python-tcss
and tencentcloud-sdk-python-sts.

    .venv/bin/python scripts/peer_sdk.py --config accounts.toml --concurrency 64 --out peer.csv
"""

import argparse
import concurrent.futures
import csv
import json
import threading
import time
import tomllib
from urllib.parse import urlparse

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.common.retry import StandardRetryer
from tencentcloud.sts.v20180813 import models as sts_models
from tencentcloud.sts.v20180813 import sts_client
from tencentcloud.tcss.v20201101 import models as tcss_models
from tencentcloud.tcss.v20201101 import tcss_client

FIELDS = ["TotalAuthorizedCnt", "UsedAuthorizedCnt", "TrialAuthorizedCnt", "UsedTrialAuthorizedCnt",
          "PurchasedAuthorizedCnt", "UsedPurchasedAuthorizedCnt", "ScannedImageCnt", "NotScannedImageCnt",
          "NotScannedLocalImageCnt", "RepeatImageIdCnt", "CanApplyFreeImageAuthorize"]
STS_REGION = "ap-guangzhou"


def profile(endpoint_url):
    url = urlparse(endpoint_url)
    http = HttpProfile(protocol=url.scheme or "https", endpoint=url.netloc or url.path, reqTimeout=10)
    return ClientProfile(httpProfile=http, retryer=StandardRetryer(max_attempts=5))


class Job:
    def __init__(self, config):
        defaults = config.get("defaults", {})
        self.endpoint = defaults.get("endpoint", "https://tcss.tencentcloudapi.com")
        self.sts_endpoint = defaults.get("sts_endpoint", "https://sts.tencentcloudapi.com")
        self.regions = defaults.get("regions", ["ap-guangzhou"])
        self.accounts = {a["name"]: a for a in config["accounts"]}
        self.creds = {}
        self.locks = {name: threading.Lock() for name in self.accounts}

    def credentials(self, name):
        """Long-term keys, or temporary ones from AssumeRole (once per account)."""
        with self.locks[name]:
            if name in self.creds:
                cached = self.creds[name]
                if isinstance(cached, Exception):
                    raise cached
                return cached
            a = self.accounts[name]
            try:
                if "secret_id" in a:
                    cred = credential.Credential(a["secret_id"], a["secret_key"])
                else:
                    source = self.credentials(a["source_account"])
                    client = sts_client.StsClient(source, STS_REGION, profile(self.sts_endpoint))
                    req = sts_models.AssumeRoleRequest()
                    req.RoleArn = a["role_arn"]
                    req.RoleSessionName = "peer-sdk"
                    req.DurationSeconds = 3600
                    c = client.AssumeRole(req).Credentials
                    cred = credential.Credential(c.TmpSecretId, c.TmpSecretKey, c.Token)
            except TencentCloudSDKException as e:
                self.creds[name] = e
                raise
            self.creds[name] = cred
            return cred

    def query(self, name, region):
        row = {"account": name, "region": region}
        try:
            cred = self.credentials(name)
            client = tcss_client.TcssClient(cred, region, profile(self.endpoint))
            resp = client.DescribeImageAuthorizedInfo(tcss_models.DescribeImageAuthorizedInfoRequest())
            row["status"] = "ok"
            row["request_id"] = resp.RequestId
            for f in FIELDS:
                row[f] = getattr(resp, f, None)
            q = resp.ImageScanInquireInfo
            row["ScanQuotaCapacity"] = q.Capcity if q else None
            row["ScanQuotaUsed"] = q.Useage if q else None
            row["ScanQuotaEnd"] = q.EndTime if q else None
        except TencentCloudSDKException as e:
            row["status"] = "error"
            row["error_code"] = e.get_code()
            row["error_message"] = e.get_message()
            row["request_id"] = e.get_request_id()
        return row


def main():
    ap = argparse.ArgumentParser(description="The tcss-report job with the official Python SDK.")
    ap.add_argument("--config", required=True)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--out", required=True, help="CSV file to write")
    args = ap.parse_args()
    t0 = time.monotonic()
    with open(args.config, "rb") as f:
        job = Job(tomllib.load(f))
    tasks = [(name, r) for name, a in job.accounts.items() for r in a.get("regions", job.regions)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        rows = list(pool.map(lambda t: job.query(*t), tasks))
    columns = ["account", "region", "status", "error_code", "error_message", "request_id"] + FIELDS + [
        "ScanQuotaCapacity", "ScanQuotaUsed", "ScanQuotaEnd"]
    with open(args.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)
    errors = sum(1 for r in rows if r["status"] != "ok")
    print(json.dumps({"queries": len(rows), "errors": errors, "seconds": round(time.monotonic() - t0, 3),
                      "peak_rss_kib": peak_rss_kib()}))


def peak_rss_kib():
    """This process's own peak resident memory (VmHWM, Linux), or 0 when unknown.

    getrusage's ru_maxrss would also count the parent's memory at fork time."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    main()
