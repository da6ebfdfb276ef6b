// UART receiver, 8N1, LSB first. CLKS_PER_BIT clock cycles per bit (clock / baud).
// `valid` pulses for one cycle with `data`; `frame_error` pulses instead when the stop bit is 0.
module uart_rx #(
    parameter CLKS_PER_BIT = 868
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       rx,
    output reg  [7:0] data,
    output reg        valid,
    output reg        frame_error
);
    localparam IDLE = 2'd0, START = 2'd1, BITS = 2'd2, STOP = 2'd3;
    reg [1:0]  state;
    reg [31:0] count;
    reg [2:0]  index;
    reg        rx_meta, rx_sync;  // two-flop synchronizer

    always @(posedge clk) begin
        if (rst) begin
            state <= IDLE; count <= 0; index <= 0; data <= 8'd0;
            valid <= 1'b0; frame_error <= 1'b0; rx_meta <= 1'b1; rx_sync <= 1'b1;
        end else begin
            rx_meta <= rx;
            rx_sync <= rx_meta;
            valid <= 1'b0;
            frame_error <= 1'b0;
            case (state)
                IDLE: begin
                    count <= 0;
                    index <= 0;
                    if (rx_sync == 1'b0) state <= START;
                end
                START: begin  // sample the middle of the start bit
                    if (count == (CLKS_PER_BIT - 1) / 2) begin
                        count <= 0;
                        state <= (rx_sync == 1'b0) ? BITS : IDLE;
                    end else begin
                        count <= count + 1;
                    end
                end
                BITS: begin
                    if (count == CLKS_PER_BIT - 1) begin
                        count <= 0;
                        data[index] <= rx_sync;
                        if (index == 3'd7) state <= STOP;
                        index <= index + 1;
                    end else begin
                        count <= count + 1;
                    end
                end
                STOP: begin
                    if (count == CLKS_PER_BIT - 1) begin
                        count <= 0;
                        state <= IDLE;
                        if (rx_sync == 1'b1) valid <= 1'b1;
                        else frame_error <= 1'b1;
                    end else begin
                        count <= count + 1;
                    end
                end
            endcase
        end
    end
endmodule
