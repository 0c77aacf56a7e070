#!/usr/bin/env python3
"""moto-iam.py ENDPOINT STREAM - set up moto's server (started with
INITIAL_NO_AUTH_ACTION_COUNT=8, so that these 8 calls are the only ones it
takes unsigned; every later call is checked: signature and IAM policy) for
the identity tests:

  user "base"             may only call sts:AssumeRole (no Kinesis)
  roles "first", "second" may call sts:AssumeRole and kinesis:*
  stream STREAM           one shard

Prints the access key id and secret of "base" on one line.
"""
import json
import sys

import boto3

ep, stream = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=ep, region_name="us-east-1", aws_access_key_id="AKIDSETUP",
          aws_secret_access_key="setup")
iam = boto3.client("iam", **kw)


def policy(actions):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": "*"}]})


trust = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
iam.create_user(UserName="base")                                          # 1
iam.put_user_policy(UserName="base", PolicyName="p",
                    PolicyDocument=policy(["sts:AssumeRole"]))            # 2
key = iam.create_access_key(UserName="base")["AccessKey"]                  # 3
for role in ("first", "second"):                                           # 4-7
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName=role, PolicyName="p",
                        PolicyDocument=policy(["sts:AssumeRole", "kinesis:*"]))
boto3.client("kinesis", **kw).create_stream(StreamName=stream, ShardCount=1)  # 8
print(key["AccessKeyId"], key["SecretAccessKey"])
