// UART transmitter, 8N1, LSB first. Pulse `start` with `data` while `busy` is low; `done`
// pulses when the stop bit has been sent. The line idles high.
module uart_tx #(
    parameter CLKS_PER_BIT = 868
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       start,
    input  wire [7:0] data,
    output reg        tx,
    output reg        busy,
    output reg        done
);
    reg [9:0]  shifter;  // stop, data[7:0], start: sent LSB first
    reg [3:0]  bits_left;
    reg [31:0] count;

    always @(posedge clk) begin
        if (rst) begin
            tx <= 1'b1; busy <= 1'b0; done <= 1'b0; shifter <= 10'h3ff; bits_left <= 0; count <= 0;
        end else begin
            done <= 1'b0;
            if (!busy) begin
                if (start) begin
                    shifter <= {1'b1, data, 1'b0};
                    busy <= 1'b1;
                    bits_left <= 4'd10;
                    count <= 0;
                    tx <= 1'b0;  // start bit goes out at once
                end
            end else if (count == CLKS_PER_BIT - 1) begin
                count <= 0;
                if (bits_left == 4'd1) begin
                    busy <= 1'b0;
                    done <= 1'b1;
                    tx <= 1'b1;
                end else begin
                    shifter <= {1'b1, shifter[9:1]};
                    tx <= shifter[1];
                end
                bits_left <= bits_left - 1;
            end else begin
                count <= count + 1;
            end
        end
    end
endmodule
