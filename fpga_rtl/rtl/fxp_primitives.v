// Fixed-point primitives with exactly the arithmetic of accel/fpga/fixedpoint.py.

// acc_out = acc_in + a * b  (int8 x int8 products into a 32-bit accumulator)
module fxp_mac (
    input  wire signed [7:0]  a,
    input  wire signed [7:0]  b,
    input  wire signed [31:0] acc_in,
    output wire signed [31:0] acc_out
);
    wire signed [15:0] product = a * b;
    assign acc_out = acc_in + {{16{product[15]}}, product};
endmodule

// Clamp a signed IN_W-bit value to the signed OUT_W-bit range.
module fxp_sat #(
    parameter IN_W = 32,
    parameter OUT_W = 8
) (
    input  wire signed [IN_W-1:0]  in,
    output wire signed [OUT_W-1:0] out
);
    localparam signed [IN_W-1:0] MAXV = (1 << (OUT_W - 1)) - 1;
    localparam signed [IN_W-1:0] MINV = -(1 << (OUT_W - 1));
    assign out = (in > MAXV) ? MAXV[OUT_W-1:0] : (in < MINV) ? MINV[OUT_W-1:0] : in[OUT_W-1:0];
endmodule

// int32 accumulator -> int8: saturate8(round_half_up(acc * M >> S)); M unsigned 16-bit, S 0..31.
module fxp_requant (
    input  wire signed [31:0] acc,
    input  wire        [15:0] multiplier,
    input  wire        [4:0]  shift,
    output wire signed [7:0]  out
);
    wire signed [63:0] product = {{32{acc[31]}}, acc} * $signed({48'd0, multiplier});
    wire signed [63:0] bias = (shift == 5'd0) ? 64'sd0 : (64'sd1 <<< (shift - 5'd1));
    wire signed [63:0] shifted = (product + bias) >>> shift;
    fxp_sat #(.IN_W(64), .OUT_W(8)) saturator (.in(shifted), .out(out));
endmodule
