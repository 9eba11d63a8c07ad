"""Print a bcrypt hash of the password read as JSON on stdin, reusing the current hash when it still matches.

Reusing the hash keeps internal_users.yml byte-identical between runs (bcrypt salts are random).
"""

import crypt
import json
import sys

request = json.load(sys.stdin)
password, current = request["password"], request.get("current") or ""
if current and crypt.crypt(password, current) == current:
    print(current)
else:
    # METHOD_BLOWFISH is bcrypt (cost 12), the scheme the OpenSearch security plugin verifies.
    print(crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=4096)))  # noqa: S324
