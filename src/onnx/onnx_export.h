/* `darknet ternary onnx`: a network as an ONNX model (onnx_export.c, docs/onnx.md). */
#ifndef ONNX_EXPORT_H
#define ONNX_EXPORT_H

/* Writes the network of cfgfile and weightfile to out (ONNX, opset 13), batch `batch` (>= 1): every
 * [ternary] layer a Conv with its ternary weights {+Wp, 0, -Wn}, batch norm folded into the
 * convolutions, the other layers as their ONNX equivalents, named after their cfg sections
 * (conv_3, shortcut_5). int8: the [ternary] layers in the QDQ form (QuantizeLinear /
 * DequantizeLinear around each Conv, the ternary weights as int8 levels), with the activation
 * scales of a packed file (`ternary pack -calib`) or, with calib_data, calibrated here on calib_n
 * images. A layer with no ONNX equivalent is one error naming its cfg section, before anything is
 * written; the file is written whole or not at all (output_file.h). Returns the number of nodes. */
int ternary_onnx(const char *cfgfile, const char *weightfile, const char *out, int int8,
                 const char *calib_data, int calib_n, int batch);

/* 1 when this build can write ONNX (protobuf-c and Debian's onnx.proto were found). */
int ternary_onnx_available(void);

#endif
