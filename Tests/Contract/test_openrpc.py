"""The OpenRPC document is the contract: it must be a valid OpenRPC 1.3 document, and every
example pairing in it, sent to the real server over its socket, must get a result of the shape
the document declares (or the error the example names).

Run: SPORTELLO_BIN=.build/debug/sportello python3 -m unittest discover -s Tests/Contract -v
"""
import copy
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import jsonschema
import referencing
import referencing.jsonschema

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCHEMA = os.path.join(ROOT, "schema", "sportello.openrpc.json")
META = os.path.join(ROOT, "schema", "openrpc-meta-schema.json")
BIN = os.environ.get("SPORTELLO_BIN", os.path.join(ROOT, ".build", "debug", "sportello"))


def meta_validator():
    """The OpenRPC meta-schema refers to https://meta.json-schema.tools for "a JSON Schema";
    offline, that reference resolves to jsonschema's own draft-07 meta-schema (plus the one
    definition the OpenRPC meta-schema points into)."""
    with open(META) as f:
        meta = json.load(f)
    draft7 = copy.deepcopy(jsonschema.Draft7Validator.META_SCHEMA)
    draft7.setdefault("definitions", {})["JSONSchemaObject"] = {
        "properties": {"$ref": {"type": "string", "format": "uri-reference"}}}
    resource = referencing.Resource.from_contents(draft7, default_specification=referencing.jsonschema.DRAFT7)
    registry = referencing.Registry().with_resources([
        ("https://meta.json-schema.tools", resource), ("https://meta.json-schema.tools/", resource)])
    return jsonschema.Draft7Validator(meta, registry=registry)


class RPCConnection:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.file = self.sock.makefile("rwb")
        self.next_id = 0

    def call(self, method, params):
        self.next_id += 1
        request = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        self.file.write(json.dumps(request).encode() + b"\n")
        self.file.flush()
        reply = json.loads(self.file.readline())
        self.assert_envelope(reply, self.next_id)
        return reply

    @staticmethod
    def assert_envelope(reply, request_id):
        assert reply["jsonrpc"] == "2.0" and reply["id"] == request_id, reply
        assert ("result" in reply) != ("error" in reply), reply

    def close(self):
        self.file.close()
        self.sock.close()


class OpenRPCDocumentTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(SCHEMA) as f:
            cls.document = json.load(f)

    def test_document_validates_against_the_openrpc_meta_schema(self):
        errors = sorted(meta_validator().iter_errors(self.document), key=lambda e: list(e.path))
        self.assertEqual([], [f"{'/'.join(map(str, e.path))}: {e.message[:200]}" for e in errors])

    def test_meta_schema_check_can_fail(self):
        broken = copy.deepcopy(self.document)
        broken["methods"][0]["paramStructure"] = "by-position-please"
        self.assertTrue(list(meta_validator().iter_errors(broken)))

    def test_every_method_is_by_name_with_schemas_errors_and_an_example(self):
        for method in self.document["methods"]:
            with self.subTest(method=method["name"]):
                self.assertEqual("by-name", method.get("paramStructure"))
                self.assertIn("schema", method["result"])
                for param in method["params"]:
                    self.assertIn("schema", param)
                self.assertTrue(method.get("errors"), "no errors listed")
                self.assertTrue(method.get("examples"), "no example pairing")

    def test_every_method_declares_its_effect(self):
        # x-effect (schema/tools/set_effects.py) drives the MCP tools' readOnlyHint/destructiveHint.
        for method in self.document["methods"]:
            with self.subTest(method=method["name"]):
                self.assertIn(method.get("x-effect"), ("read", "write", "destructive"))
        script = os.path.join(ROOT, "schema", "tools", "set_effects.py")
        check = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True)
        self.assertEqual(0, check.returncode, check.stderr)

    def test_method_names_are_noun_verb(self):
        # family.verb, or family.part.verb (mail.settings.get): camelCase words, dot-separated.
        for method in self.document["methods"]:
            self.assertRegex(method["name"], r"^[a-z][a-zA-Z]*(\.[a-z][a-zA-Z]*)?\.[a-zA-Z]+$")


@unittest.skipUnless(os.path.exists(BIN), f"server binary not built at {BIN}")
class ExamplePairingTests(unittest.TestCase):
    """Each example is sent, in document order, to one fresh server; examples of methods that
    change data are written so that running them in order succeeds."""

    @classmethod
    def setUpClass(cls):
        with open(SCHEMA) as f:
            cls.document = json.load(f)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.socket_path = os.path.join(cls.tmp.name, "sportello.sock")
        cls.server = subprocess.Popen(
            [BIN, "serve", "--socket", cls.socket_path, "--database", os.path.join(cls.tmp.name, "db.sqlite"),
             "--maildir", os.path.join(cls.tmp.name, "mail")],
            stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while not os.path.exists(cls.socket_path):
            if time.time() > deadline or cls.server.poll() is not None:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        cls.connection = RPCConnection(cls.socket_path)

    @classmethod
    def tearDownClass(cls):
        cls.connection.close()
        cls.server.terminate()
        cls.server.wait(10)
        cls.tmp.cleanup()

    def schema_validator(self, schema):
        # Resolve "#/components/..." references against the whole document.
        root = dict(self.document)
        root.update(schema)
        return jsonschema.Draft7Validator(root)

    def test_examples_get_results_of_the_documented_shape(self):
        checked = 0
        for method in self.document["methods"]:
            for example in method["examples"]:
                with self.subTest(method=method["name"], example=example["name"]):
                    params = {p["name"]: p["value"] for p in example["params"]}
                    reply = self.connection.call(method["name"], params)
                    expected = example.get("result")
                    if expected is not None and "error" not in expected.get("value", {}):
                        self.assertIn("result", reply, reply)
                        errors = list(self.schema_validator(method["result"]["schema"]).iter_errors(reply["result"]))
                        self.assertEqual([], [e.message for e in errors])
                        # The example's own value must also fit the schema it illustrates.
                        errors = list(self.schema_validator(method["result"]["schema"]).iter_errors(expected["value"]))
                        self.assertEqual([], [e.message for e in errors], "example value does not fit the schema")
                    checked += 1
        self.assertGreaterEqual(checked, len(self.document["methods"]))

    def test_a_result_of_the_wrong_shape_is_caught(self):
        ping = next(m for m in self.document["methods"] if m["name"] == "server.ping")
        errors = list(self.schema_validator(ping["result"]["schema"]).iter_errors({"pong": "yes"}))
        self.assertTrue(errors)


if __name__ == "__main__":
    unittest.main()
