"""A python3-pymodbus (Debian) Modbus TCP server holding the test-meter registers.

usage: /usr/bin/python3 pymodbus_server.py PORT
voltage 230.5 (input 0, float32 ABCD), current 5.25 (input 2, float32 CDAB),
energy 123456 (holding 10, uint32), temperature -52 (holding 14, int16), relay on (coil 0).
"""
import asyncio
import struct
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartAsyncTcpServer


def words(fmt, value):
    raw = struct.pack(fmt, value)
    return [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]


def main():
    port = int(sys.argv[1])
    ir = [0] * 32
    ir[0:2] = words(">f", 230.5)
    c = words(">f", 5.25)
    ir[2:4] = [c[1], c[0]]
    hr = [0] * 32
    hr[10:12] = words(">I", 123456)
    hr[14] = 0xFFCC
    co = [False] * 16
    co[0] = True
    store = ModbusSlaveContext(
        di=ModbusSequentialDataBlock(0, [False] * 16),
        co=ModbusSequentialDataBlock(0, co),
        hr=ModbusSequentialDataBlock(0, hr),
        ir=ModbusSequentialDataBlock(0, ir),
        zero_mode=True,
    )
    context = ModbusServerContext(slaves=store, single=True)
    asyncio.run(StartAsyncTcpServer(context=context, address=("127.0.0.1", port)))


if __name__ == "__main__":
    main()
