// Test harness: one instance of each fixed-point primitive, driven by cocotb (not synthesized).
module fxp_harness (
    input  wire signed [7:0]  mac_a,
    input  wire signed [7:0]  mac_b,
    input  wire signed [31:0] mac_acc,
    output wire signed [31:0] mac_out,
    input  wire signed [15:0] sat_in,
    output wire signed [7:0]  sat_out,
    input  wire signed [31:0] rq_acc,
    input  wire        [15:0] rq_multiplier,
    input  wire        [4:0]  rq_shift,
    output wire signed [7:0]  rq_out
);
    fxp_mac mac (.a(mac_a), .b(mac_b), .acc_in(mac_acc), .acc_out(mac_out));
    fxp_sat #(.IN_W(16), .OUT_W(8)) sat (.in(sat_in), .out(sat_out));
    fxp_requant requant (.acc(rq_acc), .multiplier(rq_multiplier), .shift(rq_shift), .out(rq_out));
endmodule
