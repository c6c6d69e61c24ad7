"""Calls the examples served by `bpel serve` with zeep, a SOAP client nobody on this project wrote.

Usage: python3 call_examples.py BASE_URL
Prints one line per check and exits 1 at the first one that does not hold.
"""
import sys

import zeep

base = sys.argv[1].rstrip("/")


def check(what, actual, expected):
    if actual != expected:
        print(f"FAIL {what}: expected {expected!r}, got {actual!r}")
        sys.exit(1)
    print(f"ok   {what}: {actual!r}")


# echo: document/literal, one string in, the same string out
echo = zeep.Client(f"{base}/echo?wsdl")
check("echo.echo", echo.service.echo("hello from zeep"), "hello from zeep")

# order approval: a small order is approved at once
orders = zeep.Client(f"{base}/order-approval?wsdl")
result = orders.service.submitOrder(id="Z-1", customer="Zoe", amount=120)
check("order-approval.submitOrder id", result.id, "Z-1")
check("order-approval.submitOrder status", result.status, "approved")

# long-running: placeOrder is acknowledged, confirmPayment is one-way
shop = zeep.Client(f"{base}/shop?wsdl")
ack = shop.service.placeOrder(orderId="Z-42", customer="Zoe", amount=9.5)
check("long-running.placeOrder orderId", ack.orderId, "Z-42")
check("long-running.placeOrder status", ack.status, "awaiting payment")
check("long-running.confirmPayment (one-way)", shop.service.confirmPayment(orderId="Z-42", paymentReference="P-1"), None)
# calculator: rpc/literal, typed parts in and out
calculator = zeep.Client(f"{base}/calculator?wsdl")
check("calculator.add (rpc/literal)", calculator.service.add(a=2, b=40), 42)
print("all calls answered as expected")
