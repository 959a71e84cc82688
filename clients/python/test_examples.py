"""Every example shown to a user, run against the REAL server binary.

The examples are read from where the user reads them, never copied here:

* README.md: its fenced code blocks;
* clients/sh/sportello-rpc: the "Examples:" lines of its --help output;
* clients/python/sportello_client.py: the "Example::" block of its module docstring.

README conventions (checked by the tests below):

* A fenced block is run unless the line just before it (blank lines aside) is a marker
  ``<!-- example: not run — REASON -->``; the reason is required. A block without a marker
  must be ``sh`` (run with sh, dash when installed) or ``python`` (run with python3).
* The runnable blocks of one README section (a heading down to the next heading) run in
  order against one server on a fresh database, in a working directory laid out like the
  repository after ``make run``: ``clients/`` (the repository's), ``.build/release/sportello``
  ($SPORTELLO_BIN) and ``var/`` with the server on ``var/sportello.sock`` and
  ``var/sportello.db``. The sh blocks of a section run in one shell, so an alias set in one
  block holds in the next.
* In an sh block every line (joined with the next when it ends in a backslash) is one
  command and must exit 0. A comment line right under a command that starts with a JSON
  value (``# {"deadline":"2026-12-07T07:30:00Z"}  remark``) is that command's expected
  stdout: compared as JSON, exactly, except that the string "…" matches any value; text
  after the JSON is a remark.

Run from the repository root:

    SPORTELLO_BIN=.build/debug/sportello python3 -m unittest discover -s clients/python -v
"""

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import textwrap
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Skips the whole module, with the reason, when the server binary is not built.
from test_clients import (BIN, HERE, REPO, SH_CLIENT, SHELL, STARTUP_TIMEOUT,
                          ServerTestCase, server_env)

README = os.path.join(REPO, "README.md")
# The socket the systemd units listen on; examples naming it are pointed at the test's socket.
SYSTEMD_SOCKET = "/run/sportello/sportello.sock"
WILDCARD = "…"
RUN_TIMEOUT = 300

FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)\s*$")
HEADING = re.compile(r"^#{1,6}\s")
MARKER = re.compile(r"^<!--\s*example:(.*?)-->\s*$")
NOT_RUN = re.compile(r"^\s*not run\s*(?:—|--|:)\s*(\S.*?)\s*$")
STEP = re.compile(r"\n@@example-step (\d+) (\d+)@@\n")


# -- extraction ---------------------------------------------------------------------------------

class Block:
    """A fenced code block of the README."""

    def __init__(self, lang, body, line, section, marker):
        self.lang = lang          # the info string after the fence ("sh", "python", "")
        self.body = body          # the lines between the fences, joined
        self.line = line          # README line number of the first body line
        self.section = section    # the heading above it
        self.marker = marker      # the text of an <!-- example: ... --> marker, or None

    def __repr__(self):
        return "README.md:%d (%s)" % (self.line, self.lang or "no language")


def readme_blocks(text):
    """The fenced code blocks of a Markdown text, with their section and marker."""
    blocks, section, marker = [], "(top)", None
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:
            body, j = [], i + 1
            while j < len(lines) and not lines[j].startswith(fence.group(1)):
                body.append(lines[j])
                j += 1
            if j == len(lines):
                raise ValueError("README.md:%d: code block never closed" % (i + 1))
            blocks.append(Block(fence.group(2), "\n".join(body) + "\n", i + 2, section, marker))
            marker = None
            i = j + 1
            continue
        m = MARKER.match(line.strip())
        if m:
            marker = m.group(1).strip()
        elif HEADING.match(line):
            section, marker = "README.md:%d %s" % (i + 1, line), None
        elif line.strip():
            marker = None    # a marker counts only right before its block
        i += 1
    return blocks


def not_run_reason(block):
    """The reason a block is not run, or None when it runs. Raises on a malformed marker."""
    if block.marker is None:
        return None
    m = NOT_RUN.match(block.marker)
    if not m:
        raise ValueError("%r: malformed marker <!-- example:%s-->; write "
                         "<!-- example: not run — REASON -->" % (block, block.marker))
    return m.group(1)


def help_examples(help_text):
    """The example command lines in the "Examples" section of sportello-rpc --help."""
    lines = help_text.splitlines()
    starts = [i for i, l in enumerate(lines) if re.match(r"^Examples\b.*:\s*$", l)]
    if len(starts) != 1:
        raise ValueError("expected one 'Examples...:' line in the help, found %d" % len(starts))
    examples = []
    for line in lines[starts[0] + 1:]:
        if not line.strip():
            continue
        if not line[0].isspace():
            break
        if not line.strip().startswith("sportello-rpc "):
            raise ValueError("not an example command in the Examples section: %r" % line)
        examples.append(line.strip())
    return examples


def docstring_example(doc):
    """The literal block of the paragraph that starts with "Example" and ends with "::"
    ("Example::", or "Example, on ...::" over several lines), dedented."""
    lines = doc.splitlines()
    starts = [i for i, l in enumerate(lines) if re.match(r"^\s*Example\b", l)]
    if len(starts) != 1:
        raise ValueError("expected one paragraph starting 'Example' in the docstring, found %d"
                         % len(starts))
    end = starts[0]
    while end < len(lines) and lines[end].strip() and not lines[end].rstrip().endswith("::"):
        end += 1
    if end == len(lines) or not lines[end].strip():
        raise ValueError("the 'Example' paragraph does not end with '::'")
    indent = len(lines[end]) - len(lines[end].lstrip())
    body = []
    for line in lines[end + 1:]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line)
    return textwrap.dedent("\n".join(body)).strip("\n") + "\n"


# -- expected output ----------------------------------------------------------------------------

def expected_output(comment):
    """The JSON value a `# JSON  remark` comment line announces, or None."""
    text = comment.strip()[1:].strip()
    if not text[:1] in ("{", "["):
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return None
    return value


def matches(expected, actual):
    """JSON equality where the string "…" in `expected` stands for any value."""
    if expected == WILDCARD:
        return True
    if isinstance(expected, dict):
        return (isinstance(actual, dict) and expected.keys() == actual.keys()
                and all(matches(v, actual[k]) for k, v in expected.items()))
    if isinstance(expected, list):
        return (isinstance(actual, list) and len(expected) == len(actual)
                and all(matches(e, a) for e, a in zip(expected, actual)))
    # bool is an int in Python: 1 must not match true.
    return type(expected) is type(actual) and expected == actual


class Step:
    """One command of a section's script: what it is, where it comes from, what it prints."""

    def __init__(self, text, where, command=None):
        self.text = text              # as the README shows it
        self.where = where
        self.command = command or text   # as the script runs it
        self.expected = None          # the JSON a `# JSON` comment line announces


def sh_steps(block):
    """The commands of an sh block, each with its expected output when a comment gives it."""
    steps, pending = [], None
    lines = block.body.split("\n")
    for n, line in enumerate(lines):
        where = "README.md:%d" % (block.line + n)
        if pending is not None:
            pending[0] += "\n" + line
            if not line.endswith("\\"):
                steps.append(Step(pending[0], pending[1]))
                pending = None
            continue
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            value = expected_output(stripped)
            if value is not None:
                if not steps or steps[-1].expected is not None:
                    raise ValueError("%s: an expected output with no command above it" % where)
                steps[-1].expected = value
            continue
        if line.endswith("\\"):
            pending = [line, where]
        else:
            steps.append(Step(line, where))
    if pending is not None:
        raise ValueError("%s: a continued line at the end of the block" % pending[1])
    return steps


def section_script(blocks, scratch):
    """The sh script that runs a section's blocks in order, and its steps. After each step
    it prints a marker line with the step's number and exit status to stdout and stderr."""
    script, steps = [], []
    for b in blocks:
        if b.lang == "sh":
            block_steps = sh_steps(b)
        else:
            path = os.path.join(scratch, "block-%d.py" % b.line)
            with open(path, "w") as f:
                f.write(b.body)
            block_steps = [Step(b.body.rstrip("\n"), "README.md:%d (python block)" % b.line,
                                "%s %s" % (shlex.quote(sys.executable), shlex.quote(path)))]
        for s in block_steps:
            steps.append(s)
            script.append(s.command)
            script.append("__rc=$?; printf '\\n@@example-step %d %%s@@\\n' \"$__rc\"; "
                          "printf '\\n@@example-step %d %%s@@\\n' \"$__rc\" >&2"
                          % (len(steps), len(steps)))
    return "\n".join(script) + "\n", steps


def split_steps(output):
    """{step number: (exit status, output)} from the marked output of a section script."""
    parts = STEP.split(output)
    # [before 1, n1, rc1, before 2, n2, rc2, ..., rest]
    return {int(parts[i + 1]): (int(parts[i + 2]), parts[i]) for i in range(0, len(parts) - 1, 3)}


# -- a working directory laid out like the repository after `make run` --------------------------

class Workdir:
    """A temp directory with `clients/` and `.build/release/sportello` linked in, and a
    server on var/sportello.sock and var/sportello.db, both fresh."""

    def __init__(self, test, name):
        self.path = os.path.join(test.tmp, name)
        os.makedirs(os.path.join(self.path, ".build", "release"))
        os.makedirs(os.path.join(self.path, "var"))
        os.makedirs(os.path.join(self.path, ".scratch"))
        os.symlink(os.path.join(REPO, "clients"), os.path.join(self.path, "clients"))
        os.symlink(BIN, os.path.join(self.path, ".build", "release", "sportello"))
        self.sock = os.path.join(self.path, "var", "sportello.sock")
        self.log = os.path.join(self.path, "server.log")
        self.test = test

    def env(self):
        env = server_env()
        env.pop("SPORTELLO_SOCKET", None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env

    def seed(self):
        """Demo data, as `sportello seed-demo` makes it (the help and docstring examples
        say they need it)."""
        p = self.run([BIN, "seed-demo", "--database", "var/sportello.db"])
        self.test.assertEqual(p.returncode, 0, p.stderr)

    def serve(self):
        log = open(self.log, "wb")
        self.test.addCleanup(log.close)
        proc = subprocess.Popen(
            [BIN, "serve", "--socket", "var/sportello.sock", "--database", "var/sportello.db"],
            cwd=self.path, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=server_env())
        self.test.addCleanup(ServerTestCase._stop, proc)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                self.test.fail("server exited with status %s before accepting connections:\n%s"
                               % (proc.returncode, self.server_log()))
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(self.sock)
                return proc
            except OSError:
                if time.monotonic() > deadline:
                    self.test.fail("socket %s not accepting after %ss:\n%s"
                                   % (self.sock, STARTUP_TIMEOUT, self.server_log()))
                time.sleep(0.05)
            finally:
                s.close()

    def server_log(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def run(self, argv, **kw):
        return subprocess.run(argv, cwd=self.path, env=self.env(), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=RUN_TIMEOUT, **kw)

    def run_section(self, blocks):
        """Run a section's blocks in one shell; returns a list of failure descriptions."""
        script, steps = section_script(blocks, os.path.join(self.path, ".scratch"))
        path = os.path.join(self.path, ".scratch", "section.sh")
        with open(path, "w") as f:
            f.write(script)
        try:
            p = self.run([SHELL, path])
        except subprocess.TimeoutExpired as e:
            p = subprocess.CompletedProcess(e.cmd, "killed after %ss" % RUN_TIMEOUT,
                                            e.stdout or b"", e.stderr or b"")
        out = split_steps(p.stdout.decode("utf-8", "replace"))
        err = split_steps(p.stderr.decode("utf-8", "replace"))
        failures = []
        for n, step in enumerate(steps, 1):
            if n not in out:
                failures.append("%s: did not finish (the shell: %s):\n  %s\nstderr: %s"
                                % (step.where, p.returncode, step.text,
                                   p.stderr.decode("utf-8", "replace")[-2000:]))
                break
            rc, stdout = out[n]
            stderr = err.get(n, (rc, ""))[1]
            if rc != 0:
                failures.append("%s: exit status %d:\n  %s\nstdout: %s\nstderr: %s"
                                % (step.where, rc, step.text, stdout.strip(), stderr.strip()))
            elif step.expected is not None:
                try:
                    actual = json.loads(stdout)
                except ValueError:
                    actual = stdout
                if not matches(step.expected, actual):
                    failures.append("%s: printed\n  %s\nbut the README says\n  %s\nfor\n  %s"
                                    % (step.where, stdout.strip(),
                                       json.dumps(step.expected, ensure_ascii=False), step.text))
        return failures


class ExampleTestCase(ServerTestCase):

    def workdir(self, name="work", seed=False):
        w = Workdir(self, name)
        if seed:
            w.seed()
        w.serve()
        return w


# -- the tests ----------------------------------------------------------------------------------

class ReadmeExampleTests(ExampleTestCase):
    """README.md's fenced blocks: each one runs, or says why not."""

    def blocks(self):
        with open(README, encoding="utf-8") as f:
            blocks = readme_blocks(f.read())
        self.assertGreater(len(blocks), 0, "no code blocks found in README.md")
        return blocks

    def runnable_sections(self):
        sections = {}
        for b in self.blocks():
            if not_run_reason(b) is None:
                sections.setdefault(b.section, []).append(b)
        self.assertGreater(len(sections), 0, "no runnable code blocks found in README.md")
        return sections

    def test_every_block_runs_or_says_why_not(self):
        for b in self.blocks():
            with self.subTest(block=repr(b)):
                reason = not_run_reason(b)
                if reason is None:
                    self.assertIn(b.lang, ("sh", "python"),
                                  "%r is run, so it must be an sh or python block; if it cannot "
                                  "run, mark it <!-- example: not run — REASON -->\n%s"
                                  % (b, b.body))

    def test_expected_outputs_are_found(self):
        # The README shows outputs to check; a change to the comment convention that made
        # them plain comments would make the run test check nothing.
        expected = [s for b in self.blocks() if b.lang == "sh" and not_run_reason(b) is None
                    for s in sh_steps(b) if s.expected is not None]
        self.assertGreater(len(expected), 0, "no '# JSON' expected outputs found in README.md")

    def test_runnable_blocks(self):
        for n, (section, blocks) in enumerate(self.runnable_sections().items()):
            with self.subTest(section=section):
                steps = section_script(blocks, self.tmp)[1]
                self.assertGreater(len(steps), 0, "no commands in %s" % blocks)
                w = self.workdir("section-%d" % n)
                failures = w.run_section(blocks)
                if failures:
                    self.fail("README section %r:\n%s\nserver log:\n%s"
                              % (section, "\n".join(failures), w.server_log()))


class ShellHelpExampleTests(ExampleTestCase):
    """The Examples section of `sportello-rpc --help`."""

    def test_help_examples(self):
        p = subprocess.run([SHELL, SH_CLIENT, "--help"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        examples = help_examples(p.stdout.decode())
        self.assertGreater(len(examples), 0, "no examples found in sportello-rpc --help")
        w = self.workdir(seed=True)
        for example in examples:
            with self.subTest(example=example):
                argv = shlex.split(example)
                argv[0:1] = [SHELL, SH_CLIENT]
                argv = [w.sock if a == SYSTEMD_SOCKET else
                        "--socket=" + w.sock if a == "--socket=" + SYSTEMD_SOCKET else a
                        for a in argv]
                r = w.run(argv)
                self.assertEqual(r.returncode, 0, "sportello-rpc --help example failed:\n  %s\n"
                                 "stdout: %s\nstderr: %s" % (example, r.stdout.decode().strip(),
                                                             r.stderr.decode().strip()))
                json.loads(r.stdout)


class PythonDocstringExampleTests(ExampleTestCase):
    """The Example:: block of sportello_client's module docstring."""

    def test_docstring_example(self):
        import sportello_client
        code = docstring_example(sportello_client.__doc__)
        self.assertTrue(code.strip(), "no Example:: block found in sportello_client's docstring")
        w = self.workdir(seed=True)
        env = w.env()
        env["PYTHONPATH"] = HERE
        r = subprocess.run([sys.executable, "-c", code], cwd=w.path, env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
        self.assertEqual(r.returncode, 0, "sportello_client docstring example failed:\n%s\n"
                         "stdout: %s\nstderr: %s" % (code, r.stdout.decode().strip(),
                                                     r.stderr.decode().strip()))


class HarnessTests(ExampleTestCase):
    """The machinery above must be able to fail: a wrong example is reported, with its text."""

    README_SNIPPET = textwrap.dedent("""\
        # Section

        ```sh
        clients/sh/sportello-rpc calendar.addWorkingTime '{"calendar":"interzen-support","start":"2026-12-04T18:00:00+01:00","duration":{"hours":1}}'
        # {"deadline":"2026-12-07T07:30:00Z"}   right
        clients/sh/sportello-rpc server.ping
        # {"pong":true,"time":"…"}
        clients/sh/sportello-rpc ticket.get '{"id": 42}'
        clients/sh/sportello-rpc calendar.addWorkingTime '{"calendar":"interzen-support","start":"2026-12-04T18:00:00+01:00","duration":{"hours":2}}'
        # {"deadline":"2026-12-07T07:30:00Z"}   wrong
        ```

        <!-- example: not run — a reason -->
        ```sh
        false
        ```
        """)

    def test_wrong_examples_fail(self):
        blocks = readme_blocks(self.README_SNIPPET)
        self.assertEqual([not_run_reason(b) for b in blocks], [None, "a reason"])
        w = self.workdir()
        failures = w.run_section(blocks[:1])
        self.assertEqual(len(failures), 2, "\n".join(failures))
        self.assertIn("""ticket.get '{"id": 42}'""", failures[0])
        self.assertIn("error -32602", failures[0])
        self.assertIn('"hours":2', failures[1])

    def test_malformed_marker_is_an_error(self):
        blocks = readme_blocks("<!-- example: skip -->\n```sh\nfalse\n```\n")
        with self.assertRaises(ValueError):
            not_run_reason(blocks[0])

    def test_matches(self):
        self.assertTrue(matches({"a": [1, "…"]}, {"a": [1, {"x": 2}]}))
        self.assertFalse(matches({"a": 1}, {"a": 1, "b": 2}))
        self.assertFalse(matches({"a": True}, {"a": 1}))
        self.assertFalse(matches([1], [1, 2]))


if __name__ == "__main__":
    unittest.main()
