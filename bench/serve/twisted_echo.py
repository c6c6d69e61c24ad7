"""betsy's echo service (startProcessSync(x) answers x) on Twisted: a load baseline for `bpel serve`.

The seed of this project ran its engine on Twisted; bench/serve.sh measures it beside the engine and
a bare hyper server (tests/src/bin/bare-echo.rs), which answers the same way:

    python3 bench/serve/twisted_echo.py --port N      (127.0.0.1:N; 0 picks a free port)

prints exactly one line, `listening on http://127.0.0.1:PORT`, then answers every POST (any path)
whose SOAP 1.1 body holds one element with that element's text inside
`{.../testinterface}testElementSyncResponse` (200, text/xml). The body is read with xml.etree.
Anything else gets 400 and a `soapenv:Client` fault. One reactor thread, HTTP/1.1 keep-alive.
"""

import argparse
import sys
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from twisted.internet import reactor
from twisted.web import resource, server

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
TESTINTERFACE_NS = "http://dsg.wiai.uniba.de/betsy/activities/wsdl/testinterface"
MAX_BODY = 1 << 20


def envelope(body):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV_NS}"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>'
    ).encode("utf-8")


def echo_text(data):
    """The text of the element inside soapenv:Body, or raises ValueError."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise ValueError(f"not well-formed XML: {error}") from None
    if root.tag != f"{{{SOAP_ENV_NS}}}Envelope":
        raise ValueError("the request is not a SOAP 1.1 envelope")
    body = root.find(f"{{{SOAP_ENV_NS}}}Body")
    if body is None or len(body) == 0:
        raise ValueError("no element inside a SOAP Body")
    return "".join(body[0].itertext()).strip()


class Echo(resource.Resource):
    isLeaf = True

    def render_POST(self, request):
        request.setHeader(b"content-type", b"text/xml; charset=utf-8")
        try:
            text = echo_text(request.content.read(MAX_BODY + 1))
        except ValueError as error:
            request.setResponseCode(400)
            return envelope(
                "<soapenv:Fault><faultcode>soapenv:Client</faultcode>"
                f"<faultstring>{escape(str(error))}</faultstring></soapenv:Fault>"
            )
        return envelope(f'<testElementSyncResponse xmlns="{TESTINTERFACE_NS}">{escape(text)}</testElementSyncResponse>')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 (0 picks a free one)")
    args = parser.parse_args()
    site = server.Site(Echo())
    site.displayTracebacks = False
    listener = reactor.listenTCP(args.port, site, interface="127.0.0.1", backlog=1024)
    sys.stdout.write(f"listening on http://127.0.0.1:{listener.getHost().port}\n")
    sys.stdout.flush()
    reactor.run()


if __name__ == "__main__":
    main()
