"""app.analysis"""
