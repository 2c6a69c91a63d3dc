from ._gateway_module import GATEWAY as GATEWAY, Decoder as Decoder, decode as decode, sign as sign, verify as verify
