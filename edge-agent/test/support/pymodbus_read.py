"""Reads back, with pymodbus's own client and payload decoder, what the agent wrote.

usage: /usr/bin/python3 pymodbus_read.py PORT
prints JSON: the raw holding registers 20..28, coil 5, and the values pymodbus decodes:
int16 at 20, uint32 ABCD at 21, uint32 CDAB at 23, float32 ABCD at 25, float32 CDAB at 27.
"""
import json
import sys

from pymodbus.client import ModbusTcpClient
from pymodbus.constants import Endian
from pymodbus.payload import BinaryPayloadDecoder


def dec(regs, wordorder):
    return BinaryPayloadDecoder.fromRegisters(regs, byteorder=Endian.Big, wordorder=wordorder)


def main():
    c = ModbusTcpClient("127.0.0.1", port=int(sys.argv[1]))
    c.connect()
    hr = c.read_holding_registers(20, 9, slave=1).registers
    coil = c.read_coils(5, 1, slave=1).bits[0]
    c.close()
    out = {
        "registers": hr,
        "coil": bool(coil),
        "int16": dec(hr[0:1], Endian.Big).decode_16bit_int(),
        "uint32_abcd": dec(hr[1:3], Endian.Big).decode_32bit_uint(),
        "uint32_cdab": dec(hr[3:5], Endian.Little).decode_32bit_uint(),
        "float32_abcd": dec(hr[5:7], Endian.Big).decode_32bit_float(),
        "float32_cdab": dec(hr[7:9], Endian.Little).decode_32bit_float(),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
