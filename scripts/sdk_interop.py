#!/usr/bin/env python3
"""Interop check: the official Tencent Cloud Python SDK against the tcss-sim simulator.

Run by crates/tcss-sim/tests/python_sdk.rs, which starts a simulator and passes
everything through environment variables (secrets never go on the command line):

  TCSS_SIM_ENDPOINT        host:port of the simulator (plain HTTP)
  TCSS_SIM_SECRET_ID       long-term key of the management account
  TCSS_SIM_SECRET_KEY
  TCSS_SIM_ROLE_ARN        role in the member account the management account may assume
  TCSS_SIM_MGMT_UIN        UIN of the management account
  TCSS_SIM_MEMBER_UIN      UIN of the member account
  TCSS_SIM_MGMT_TOTAL      TotalAuthorizedCnt the management account answers
  TCSS_SIM_MEMBER_TOTAL    TotalAuthorizedCnt the member account answers

The management account's fleet entry answers DescribePurchaseStateInfo with
State 3, SubState "NORMAL", AutomaticRenewal 194, CoresCnt 10 and a null
UndefendCoresCnt, and DescribeImageAutoAuthorizedRule with IsEnabled 1 and
RangeType "ALL"; the member has no answers (the simulator's defaults).

Needs tencentcloud-sdk-python-tcss and tencentcloud-sdk-python-sts. Prints one
line per check and exits non-zero on the first failure.
"""

import os
import sys

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sts.v20180813 import models as sts_models
from tencentcloud.sts.v20180813 import sts_client
from tencentcloud.tcss.v20201101 import models as tcss_models
from tencentcloud.tcss.v20201101 import tcss_client

REGION = "ap-guangzhou"


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"sdk_interop: environment variable {name} is not set")
    return value


def profile(endpoint, method="POST", unsigned=False):
    http = HttpProfile(protocol="http", endpoint=endpoint, reqMethod=method, reqTimeout=10)
    prof = ClientProfile(httpProfile=http)
    prof.unsignedPayload = unsigned
    return prof


def check(name, ok, detail=""):
    if not ok:
        print(f"FAIL {name} {detail}")
        sys.exit(1)
    print(f"ok   {name}")


def describe(cred, endpoint, **kw):
    client = tcss_client.TcssClient(cred, REGION, profile(endpoint, **kw))
    return client.DescribeImageAuthorizedInfo(tcss_models.DescribeImageAuthorizedInfoRequest())


def account_wide(cred, endpoint, region=REGION):
    client = tcss_client.TcssClient(cred, region, profile(endpoint))
    state = client.DescribePurchaseStateInfo(tcss_models.DescribePurchaseStateInfoRequest())
    rule = client.DescribeImageAutoAuthorizedRule(tcss_models.DescribeImageAutoAuthorizedRuleRequest())
    return state, rule


def assume_role(cred, endpoint, role_arn, method="POST"):
    client = sts_client.StsClient(cred, REGION, profile(endpoint, method=method))
    req = sts_models.AssumeRoleRequest()
    req.RoleArn = role_arn
    req.RoleSessionName = "sdk-interop"
    req.DurationSeconds = 900
    return client.AssumeRole(req)


def expect_error(name, code, fn):
    try:
        fn()
    except TencentCloudSDKException as e:
        check(name, e.get_code() == code, f"got {e.get_code()}: {e.get_message()}")
        return
    check(name, False, "no exception raised")


def main():
    endpoint = env("TCSS_SIM_ENDPOINT")
    secret_id = env("TCSS_SIM_SECRET_ID")
    secret_key = env("TCSS_SIM_SECRET_KEY")
    role_arn = env("TCSS_SIM_ROLE_ARN")
    mgmt_uin = env("TCSS_SIM_MGMT_UIN")
    member_uin = env("TCSS_SIM_MEMBER_UIN")
    mgmt_total = int(env("TCSS_SIM_MGMT_TOTAL"))
    member_total = int(env("TCSS_SIM_MEMBER_TOTAL"))
    cred = credential.Credential(secret_id, secret_key)

    resp = describe(cred, endpoint)
    check("DescribeImageAuthorizedInfo with long-term keys", resp.TotalAuthorizedCnt == mgmt_total,
          f"TotalAuthorizedCnt={resp.TotalAuthorizedCnt}")
    check("RequestId present", bool(resp.RequestId))
    check("ImageScanInquireInfo decoded", resp.ImageScanInquireInfo is not None
          and resp.ImageScanInquireInfo.Capcity is not None)

    resp = describe(cred, endpoint, unsigned=True)
    check("DescribeImageAuthorizedInfo with UNSIGNED-PAYLOAD", resp.TotalAuthorizedCnt == mgmt_total)

    resp = describe(cred, endpoint, method="GET")
    check("DescribeImageAuthorizedInfo with GET", resp.TotalAuthorizedCnt == mgmt_total)

    state, rule = account_wide(cred, endpoint)
    check("DescribePurchaseStateInfo decoded, undocumented values kept",
          (state.State, state.SubState, state.AutomaticRenewal, state.CoresCnt, state.UndefendCoresCnt)
          == (3, "NORMAL", 194, 10, None) and bool(state.RequestId),
          f"{state.to_json_string()}")
    check("DescribeImageAutoAuthorizedRule decoded", (rule.IsEnabled, rule.RangeType) == (1, "ALL"),
          f"{rule.to_json_string()}")
    state, rule = account_wide(cred, endpoint, region="")
    check("account-wide actions without a region", state.State == 3 and rule.RangeType == "ALL")

    who = sts_client.StsClient(cred, REGION, profile(endpoint)).GetCallerIdentity(
        sts_models.GetCallerIdentityRequest())
    check("GetCallerIdentity with long-term keys", who.AccountId == mgmt_uin, f"AccountId={who.AccountId}")

    assumed = assume_role(cred, endpoint, role_arn)
    c = assumed.Credentials
    check("AssumeRole returns temporary credentials",
          bool(c.TmpSecretId and c.TmpSecretKey and c.Token and assumed.ExpiredTime and assumed.Expiration))
    temp = credential.Credential(c.TmpSecretId, c.TmpSecretKey, c.Token)
    resp = describe(temp, endpoint)
    check("DescribeImageAuthorizedInfo with temporary credentials and token",
          resp.TotalAuthorizedCnt == member_total, f"TotalAuthorizedCnt={resp.TotalAuthorizedCnt}")
    state, rule = account_wide(temp, endpoint)
    check("account-wide defaults with temporary credentials",
          (state.State, state.CoresCnt, state.ExpirationTime, rule.IsEnabled, rule.RuleId) == (0, 0, "", 0, 0),
          f"{state.to_json_string()} {rule.to_json_string()}")
    who = sts_client.StsClient(temp, REGION, profile(endpoint)).GetCallerIdentity(
        sts_models.GetCallerIdentityRequest())
    check("GetCallerIdentity with temporary credentials", who.AccountId == member_uin, f"AccountId={who.AccountId}")

    assumed_get = assume_role(cred, endpoint, role_arn, method="GET")
    check("AssumeRole with GET", bool(assumed_get.Credentials.Token))

    expect_error("wrong secret key -> AuthFailure.SignatureFailure", "AuthFailure.SignatureFailure",
                 lambda: describe(credential.Credential(secret_id, secret_key + "x"), endpoint))
    expect_error("wrong token -> AuthFailure.TokenFailure", "AuthFailure.TokenFailure",
                 lambda: describe(credential.Credential(c.TmpSecretId, c.TmpSecretKey, c.Token + "x"), endpoint))
    expect_error("unknown secret id -> AuthFailure.SecretIdNotFound", "AuthFailure.SecretIdNotFound",
                 lambda: describe(credential.Credential("AKIDunknown", secret_key), endpoint))
    print("sdk interop: all checks passed")


if __name__ == "__main__":
    main()
