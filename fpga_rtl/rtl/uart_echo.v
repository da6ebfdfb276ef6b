// The first FPGA step of the seed documents: every byte received is sent back.
module uart_echo #(
    parameter CLKS_PER_BIT = 868
) (
    input  wire clk,
    input  wire rst,
    input  wire rx,
    output wire tx,
    output wire frame_error
);
    wire [7:0] data;
    wire       valid;
    wire       busy, done;
    uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) receiver (
        .clk(clk), .rst(rst), .rx(rx), .data(data), .valid(valid), .frame_error(frame_error));
    uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) transmitter (
        .clk(clk), .rst(rst), .start(valid), .data(data), .tx(tx), .busy(busy), .done(done));
endmodule
