"""Every result the end-to-end and client suites received, checked against its method's
result schema in the OpenRPC document.

The Swift end-to-end harness (Tests/EndToEndTests/ReplyLog.swift) and the Python client tests
append `{"method": …, "result": …}` lines to the file named by SPORTELLO_REPLY_LOG; `make test`
runs this suite after them. Object schemas are checked strictly: a member the schema does not
declare fails, even where the document leaves `additionalProperties` open, so a result cannot
grow a member the document lacks.
"""

import copy
import json
import os
import unittest

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
DOCUMENT = os.path.join(HERE, "..", "..", "schema", "sportello.openrpc.json")
LOG = os.environ.get("SPORTELLO_REPLY_LOG")


def strict(schema):
    """`schema` with `additionalProperties: false` on every object schema that lists its
    properties and says nothing of others."""
    if isinstance(schema, dict):
        schema = {key: strict(value) for key, value in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema and "patternProperties" not in schema:
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


@unittest.skipUnless(LOG, "SPORTELLO_REPLY_LOG is not set: `make test` sets it and runs the suites that fill it first")
class RecordedReplyTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(DOCUMENT, encoding="utf-8") as f:
            cls.document = json.load(f)
        cls.components = strict(cls.document.get("components", {}))
        cls.results = {m["name"]: strict(m["result"]["schema"]) for m in cls.document["methods"]}
        cls.records = []
        with open(LOG, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                cls.records.append((number, json.loads(line)))

    def validator(self, method):
        root = {"components": self.components}
        root.update(self.results[method])
        return jsonschema.Draft7Validator(root)

    def test_the_suites_recorded_replies_of_many_methods(self):
        methods = {record["method"] for _, record in self.records}
        # The end-to-end and client suites call most of the document; a log that lost them
        # (a broken hook) must not pass as "nothing to check".
        self.assertGreaterEqual(len(methods), len(self.results) // 2, sorted(methods))

    def test_every_recorded_result_matches_its_method_result_schema(self):
        validators = {}
        failures = []
        for number, record in self.records:
            method = record["method"]
            if method not in self.results:
                failures.append("line %d: %s is not in the document" % (number, method))
                continue
            validator = validators.setdefault(method, self.validator(method))
            for error in validator.iter_errors(record["result"]):
                path = "/".join(str(p) for p in error.absolute_path)
                failures.append("line %d: %s result at /%s: %s" % (number, method, path, error.message))
        self.assertEqual(failures[:20], [], "%d results do not match their schema" % len(failures))


if __name__ == "__main__":
    unittest.main()
