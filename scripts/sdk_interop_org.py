#!/usr/bin/env python3
"""Interop check: the official Tencent Cloud Python SDK (organization) against tcss-sim.

Run by crates/tcss-sim/tests/python_sdk.rs, which starts a simulator and passes
everything through environment variables (secrets never go on the command line):

  TCSS_SIM_ENDPOINT          host:port of the simulator (plain HTTP)
  TCSS_SIM_ORG_SECRET_ID     long-term key of the organization's management account
  TCSS_SIM_ORG_SECRET_KEY
  TCSS_SIM_ORG_MEMBERS       the member UINs in listing order, comma-separated
  TCSS_SIM_ORG_LIMIT         page size
  TCSS_SIM_LOCKED_SECRET_ID  key of a management account without the permission
  TCSS_SIM_LOCKED_SECRET_KEY

Needs tencentcloud-sdk-python-organization. Prints one line per check and exits
non-zero on the first failure.
"""

import os
import sys

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.organization.v20210331 import models
from tencentcloud.organization.v20210331 import organization_client


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"sdk_interop_org: environment variable {name} is not set")
    return value


def check(name, ok, detail=""):
    if not ok:
        print(f"FAIL {name} {detail}")
        sys.exit(1)
    print(f"ok   {name}")


def client(cred, endpoint, method="POST"):
    http = HttpProfile(protocol="http", endpoint=endpoint, reqMethod=method, reqTimeout=10)
    return organization_client.OrganizationClient(cred, "", ClientProfile(httpProfile=http))


def request(offset, limit):
    req = models.DescribeOrganizationMembersRequest()
    req.Offset = offset
    req.Limit = limit
    return req


def page(c, offset, limit):
    return c.DescribeOrganizationMembers(request(offset, limit))


def main():
    endpoint = env("TCSS_SIM_ENDPOINT")
    expected = [int(u) for u in env("TCSS_SIM_ORG_MEMBERS").split(",")]
    limit = int(env("TCSS_SIM_ORG_LIMIT"))
    cred = credential.Credential(env("TCSS_SIM_ORG_SECRET_ID"), env("TCSS_SIM_ORG_SECRET_KEY"))
    c = client(cred, endpoint)

    listed, pages, offset = [], 0, 0
    while True:
        resp = page(c, offset, limit)
        pages += 1
        check(f"page {pages}: Total", resp.Total == len(expected), f"Total={resp.Total}")
        check(f"page {pages}: RequestId", bool(resp.RequestId))
        items = resp.Items or []
        check(f"page {pages}: at most Limit items", len(items) <= limit, f"{len(items)} items")
        for m in items:
            check(f"member {m.MemberUin}: typed", isinstance(m.MemberUin, int)
                  and isinstance(m.NodeId, int) and isinstance(m.Name, str))
        listed.extend(m.MemberUin for m in items)
        offset += limit
        if offset >= resp.Total:
            break
    check("every member exactly once, in order", listed == expected, f"listed={listed}")
    want_pages = (len(expected) + limit - 1) // limit
    check("page count", pages == want_pages, f"{pages} pages, expected {want_pages}")

    first = page(c, 0, limit).Items[0]
    check("Tags decoded", first.Tags is not None and all(t.TagKey for t in first.Tags))
    check("OrgPermission decoded", first.OrgPermission is not None and first.OrgPermission[0].Id == 1)
    check("PayUin is a string", isinstance(first.PayUin, str))

    past = page(c, len(expected) + limit, limit)
    check("Offset past the end: no items, the right Total",
          not past.Items and past.Total == len(expected), f"Items={past.Items} Total={past.Total}")

    got = client(cred, endpoint, method="GET").DescribeOrganizationMembers(request(0, limit))
    check("GET pages too", [m.MemberUin for m in got.Items] == expected[:limit])

    try:
        page(c, 0, 51)
        check("Limit 51 -> InvalidParameterValue.LimitExceeded", False, "no exception raised")
    except TencentCloudSDKException as e:
        check("Limit 51 -> InvalidParameterValue.LimitExceeded",
              e.get_code() == "InvalidParameterValue.LimitExceeded", f"got {e.get_code()}")

    locked = credential.Credential(env("TCSS_SIM_LOCKED_SECRET_ID"), env("TCSS_SIM_LOCKED_SECRET_KEY"))
    try:
        page(client(locked, endpoint), 0, limit)
        check("management account without permission -> UnauthorizedOperation", False, "no exception raised")
    except TencentCloudSDKException as e:
        check("management account without permission -> UnauthorizedOperation",
              e.get_code() == "UnauthorizedOperation", f"got {e.get_code()}: {e.get_message()}")
    print("sdk interop (organization): all checks passed")


if __name__ == "__main__":
    main()
