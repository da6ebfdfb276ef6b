// INT8 MLP (N_IN -> N_HID -> N_OUT, ReLU): the digits_mlp network, bit-exact with
// accel.fpga.int8_mlp.Int8Mlp.forward. Weights and biases are ROMs loaded from $readmemh files exported
// by accel.fpga.int8_mlp.export_memh. One multiply-accumulate per clock:
//   per hidden neuron: 1 (load bias) + N_IN (MACs) + 1 (requantize, ReLU, store)
//   per output:        1 (load bias) + N_HID (MACs) + 1 (store, argmax)
//   + 1 to raise `done`:
//   CYCLES = N_HID * (N_IN + 2) + N_OUT * (N_HID + 2) + 1   (64-32-10: 2453 cycles)
// counted from the clock edge that samples `start` to the edge that raises `done`.
module int8_mlp #(
    parameter N_IN = 64,
    parameter N_HID = 32,
    parameter N_OUT = 10,
    parameter [15:0] M1 = 16'd1,
    parameter [4:0]  S1 = 5'd0,
    parameter W1_FILE = "w1.mem",
    parameter B1_FILE = "b1.mem",
    parameter W2_FILE = "w2.mem",
    parameter B2_FILE = "b2.mem"
) (
    input  wire        clk,
    input  wire        rst,
    input  wire        start,
    input  wire        x_we,
    input  wire [7:0]  x_addr,
    input  wire [7:0]  x_data,
    input  wire [3:0]  logit_addr,
    output wire [31:0] logit_data,
    output reg  [3:0]  class_out,
    output reg         busy,
    output reg         done
);
    reg signed [7:0]  w1 [0:N_HID*N_IN-1];
    reg signed [31:0] b1 [0:N_HID-1];
    reg signed [7:0]  w2 [0:N_OUT*N_HID-1];
    reg signed [31:0] b2 [0:N_OUT-1];
    reg signed [7:0]  x [0:N_IN-1];
    reg signed [7:0]  h [0:N_HID-1];
    reg signed [31:0] logits [0:N_OUT-1];
    initial begin
        $readmemh(W1_FILE, w1);
        $readmemh(B1_FILE, b1);
        $readmemh(W2_FILE, w2);
        $readmemh(B2_FILE, b2);
    end

    localparam IDLE = 3'd0, L1_LOAD = 3'd1, L1_MAC = 3'd2, L1_STORE = 3'd3,
               L2_LOAD = 3'd4, L2_MAC = 3'd5, L2_STORE = 3'd6, FINISH = 3'd7;
    reg [2:0]  state;
    reg [7:0]  neuron;
    reg [7:0]  index;
    reg signed [31:0] acc;
    reg signed [31:0] best;

    // The MAC operands: layer 1 reads w1 and x, layer 2 reads w2 and h.
    wire signed [7:0] weight = (state == L1_MAC) ? w1[neuron * N_IN + index] : w2[neuron * N_HID + index];
    wire signed [7:0] activation = (state == L1_MAC) ? x[index] : h[index];
    wire signed [31:0] acc_next;
    fxp_mac mac (.a(weight), .b(activation), .acc_in(acc), .acc_out(acc_next));
    wire signed [7:0] requantized;
    fxp_requant requant (.acc(acc), .multiplier(M1), .shift(S1), .out(requantized));

    assign logit_data = logits[logit_addr];

    always @(posedge clk) begin
        if (x_we && !busy) x[x_addr] <= x_data;
    end

    always @(posedge clk) begin
        if (rst) begin
            state <= IDLE; neuron <= 0; index <= 0; acc <= 0; best <= 0;
            class_out <= 0; busy <= 1'b0; done <= 1'b0;
        end else begin
            done <= 1'b0;
            case (state)
                IDLE: if (start) begin
                    busy <= 1'b1;
                    neuron <= 0;
                    state <= L1_LOAD;
                end
                L1_LOAD: begin
                    acc <= b1[neuron];
                    index <= 0;
                    state <= L1_MAC;
                end
                L1_MAC: begin
                    acc <= acc_next;
                    index <= index + 1;
                    if (index == N_IN - 1) state <= L1_STORE;
                end
                L1_STORE: begin
                    h[neuron] <= requantized[7] ? 8'sd0 : requantized;  // ReLU
                    if (neuron == N_HID - 1) begin
                        neuron <= 0;
                        state <= L2_LOAD;
                    end else begin
                        neuron <= neuron + 1;
                        state <= L1_LOAD;
                    end
                end
                L2_LOAD: begin
                    acc <= b2[neuron];
                    index <= 0;
                    state <= L2_MAC;
                end
                L2_MAC: begin
                    acc <= acc_next;
                    index <= index + 1;
                    if (index == N_HID - 1) state <= L2_STORE;
                end
                L2_STORE: begin
                    logits[neuron] <= acc;
                    if (neuron == 0 || acc > best) begin  // first maximum wins ties
                        best <= acc;
                        class_out <= neuron[3:0];
                    end
                    if (neuron == N_OUT - 1) begin
                        state <= FINISH;
                    end else begin
                        neuron <= neuron + 1;
                        state <= L2_LOAD;
                    end
                end
                FINISH: begin
                    busy <= 1'b0;
                    done <= 1'b1;
                    state <= IDLE;
                end
            endcase
        end
    end
endmodule
