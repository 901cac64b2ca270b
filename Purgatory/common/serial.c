// SPDX-License-Identifier: Apache-2.0
//
// Output on COM1 (I/O port 0x3F8), an 8250/16550-compatible UART, programmed
// for 115200 baud 8N1 with FIFOs on. Transmission busy-waits on LSR bit 5
// (transmit holding register empty), with a bounded wait so a missing or
// wedged UART cannot hang the boot (an absent UART reads 0xFF: never waits).

#include "purgatory.h"

#define COM1 0x3F8
#define UART_THR 0  // transmit holding register (DLAB = 0)
#define UART_DLL 0  // divisor latch low (DLAB = 1)
#define UART_IER 1  // interrupt enable (DLAB = 0)
#define UART_DLM 1  // divisor latch high (DLAB = 1)
#define UART_FCR 2  // FIFO control
#define UART_LCR 3  // line control
#define UART_MCR 4  // modem control
#define UART_LSR 5  // line status
#define UART_LSR_THRE 0x20

#define TX_WAIT_LIMIT 200000u

static inline void outb(uint16_t port, uint8_t value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

void serial_init(void)
{
    outb(COM1 + UART_IER, 0x00);  // no interrupts
    outb(COM1 + UART_LCR, 0x80);  // DLAB on
    outb(COM1 + UART_DLL, 0x01);  // divisor 1: 115200 baud
    outb(COM1 + UART_DLM, 0x00);
    outb(COM1 + UART_LCR, 0x03);  // DLAB off, 8 data bits, no parity, 1 stop bit
    outb(COM1 + UART_FCR, 0x07);  // FIFOs on and cleared
    outb(COM1 + UART_MCR, 0x03);  // DTR, RTS
}

static void transmit(uint8_t byte)
{
    for (uint32_t i = 0; i < TX_WAIT_LIMIT; i++) {
        if (inb(COM1 + UART_LSR) & UART_LSR_THRE)
            break;
    }
    outb(COM1 + UART_THR, byte);
}

void serial_putc(char c)
{
    if (c == '\n')
        transmit('\r');
    transmit((uint8_t)c);
}

void serial_puts(const char *s)
{
    while (*s != '\0')
        serial_putc(*s++);
}

static const char hex_digits[] = "0123456789abcdef";

static void put_hex_digits(uint32_t v, unsigned digits)
{
    while (digits-- != 0)
        serial_putc(hex_digits[(v >> (4 * digits)) & 0xf]);
}

void serial_put_hex32(uint32_t v)
{
    serial_puts("0x");
    put_hex_digits(v, 8);
}

void serial_put_hex64(uint64_t v)
{
    serial_puts("0x");
    put_hex_digits((uint32_t)(v >> 32), 8);
    put_hex_digits((uint32_t)v, 8);
}

void serial_put_dec(uint32_t v)
{
    char text[10];
    unsigned n = 0;
    do {
        text[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n != 0)
        serial_putc(text[--n]);
}

void serial_put_bytes_hex(const uint8_t *p, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        put_hex_digits(p[i], 2);
}
