"""Parsers of inbound packages (ФНС, военкомат, ЗАГС): safe XML, schemas, streaming reads."""
